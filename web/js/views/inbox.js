// inbox.js — owns the "消息" view (#inbox): the enterprise's messages (policy pushes, application
// results, notices), newest first, unread ones marked; opening one shows it and marks it read
// (markInboxRead). A policy push shows the policy — title, type, issuer, summary, validity,
// conditions and why this enterprise qualifies — and links to #policies.

import { ApiError, AuthRequiredError, graphql } from "../api.js";
import { dateSpan } from "../dates.js";
import { formatDateTime } from "../format.js";
import { label } from "../labels.js";
import { MESSAGE_KIND_LABELS } from "../statuses.js";
import { badge, card, el, emptyState, errorMessage, facts, loadInto, uniqueId, withBusyButton } from "../ui.js";
import { sentenceList } from "./finance_common.js";

const PAGE_SIZE = 100;

const INBOX = `query MyInbox($first: Int!) {
  myInbox(first: $first) {
    id kind title body createdAt readAt
    policy { id title policyTypeLabel issuer summary validFrom validUntil regionNames conditions }
  }
}`;

const MARK_READ = `mutation MarkRead($ids: [ID!]!) {
  markInboxRead(ids: $ids) { messages { id readAt } errors { code field message } }
}`;

const POLICY_REASONS = `query PolicyReasons { policyMatches { status reasons policy { id } } }`;

/** Draw #inbox. */
export async function render(container) {
  await loadInto(
    container,
    async () => (await graphql(INBOX, { first: PAGE_SIZE })).myInbox,
    (messages) => inboxView(messages),
  );
}

function inboxView(messages) {
  if (messages.length === 0) return card("全部消息", "fin-card", emptyState("暂时没有消息。"));
  const state = { unread: new Set(messages.filter((m) => !m.readAt).map((m) => m.id)), reasons: null };
  const summary = el("p", { class: "inbox-summary", "aria-live": "polite" });
  const markAll = el("button", { type: "button", class: "btn btn-ghost btn-small" }, "全部标为已读");
  const alert = el("p", { class: "notice notice-error", role: "alert", hidden: true });
  const items = messages.map((message) => messageItem(message, state, () => refresh()));
  const refresh = () => {
    summary.textContent = `共 ${messages.length} 条，未读 ${state.unread.size} 条`;
    markAll.hidden = state.unread.size === 0;
    for (const item of items) item.sync();
  };
  markAll.addEventListener("click", async () => {
    alert.hidden = true;
    try {
      await withBusyButton(markAll, "正在标记…", () => markRead([...state.unread], state));
    } catch (error) {
      if (error instanceof AuthRequiredError) return;
      alert.textContent = errorMessage(error);
      alert.hidden = false;
    }
    refresh();
  });
  refresh();
  return card(
    "全部消息",
    "fin-card",
    el("div", { class: "inbox-bar" }, summary, markAll),
    alert,
    el("ul", { class: "fin-list inbox-list", "aria-label": "消息列表" }, items.map((item) => el("li", {}, item.node))),
  );
}

/** Mark `ids` read on the server; the ones it confirms leave `state.unread`. */
async function markRead(ids, state) {
  if (ids.length === 0) return;
  const payload = (await graphql(MARK_READ, { ids })).markInboxRead;
  if (payload.errors.length > 0) throw new ApiError(payload.errors.map((e) => e.message).join("；"));
  for (const message of payload.messages) if (message.readAt) state.unread.delete(message.id);
}

function messageItem(message, state, refresh) {
  const panelId = uniqueId("message-body");
  const kindLabel = label(MESSAGE_KIND_LABELS, message.kind);
  const unreadBadge = badge("未读", "warn");
  const toggle = el(
    "button",
    { type: "button", class: "message-toggle", "aria-expanded": "false", "aria-controls": panelId },
    el("span", { class: "message-title" }, message.title),
    unreadBadge,
  );
  const panel = el("div", { class: "message-body", id: panelId, hidden: true });
  const node = el(
    "article",
    { class: "message" },
    el("h3", {}, toggle),
    el("p", { class: "message-meta" }, `${kindLabel} · ${formatDateTime(message.createdAt)}`),
    panel,
  );
  let drawn = false;

  toggle.addEventListener("click", async () => {
    const open = toggle.getAttribute("aria-expanded") !== "true";
    toggle.setAttribute("aria-expanded", String(open));
    panel.hidden = !open;
    if (!open) return;
    if (!drawn) {
      drawn = true;
      panel.replaceChildren(...messageBody(message, state));
    }
    if (!state.unread.has(message.id)) return;
    try {
      await markRead([message.id], state);
    } catch (error) {
      if (error instanceof AuthRequiredError) return;
      panel.append(el("p", { class: "notice notice-error", role: "alert" }, `未能标记为已读：${errorMessage(error)}`));
    }
    refresh();
  });

  return {
    node,
    sync() {
      const unread = state.unread.has(message.id);
      node.classList.toggle("unread", unread);
      unreadBadge.hidden = !unread;
    },
  };
}

function messageBody(message, state) {
  const parts = [el("p", { class: "message-text" }, message.body)];
  if (message.policy) parts.push(policyBlock(message.policy, state));
  return parts;
}

function policyBlock(policy, state) {
  const why = el("div", { class: "policy-why" });
  loadInto(
    why,
    async () => {
      state.reasons ??= graphql(POLICY_REASONS).then((data) => data.policyMatches);
      try {
        return await state.reasons;
      } catch (error) {
        state.reasons = null;
        throw error;
      }
    },
    (matches) => {
      const match = matches.find((m) => m.policy.id === policy.id);
      if (!match) return el("p", { class: "hint" }, "按本企业当前的信用信息，暂无法确认是否仍符合本政策，请在“惠企政策”中查看。");
      const title = match.status === "ELIGIBLE" ? "为何符合（按本企业当前的信用信息）：" : "目前的情况：";
      return sentenceList(title, match.reasons, "sentences-met");
    },
  );
  return el(
    "section",
    { class: "policy-block", "aria-label": `政策：${policy.title}` },
    el("h4", {}, policy.title),
    facts([
      ["政策类型", policy.policyTypeLabel],
      ["发布单位", policy.issuer],
      ["适用地区", policy.regionNames.length > 0 ? policy.regionNames.join("、") : "全国"],
      ["有效期", dateSpan(policy.validFrom, policy.validUntil)],
    ]),
    el("p", { class: "policy-summary" }, policy.summary),
    sentenceList("适用条件：", policy.conditions),
    why,
    el("p", {}, el("a", { href: "#policies" }, "查看我符合的全部惠企政策")),
  );
}
