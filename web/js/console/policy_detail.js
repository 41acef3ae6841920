// policy_detail.js — owns the government console's policy view (#gov-policy/<id>): the policy
// with its conditions in Chinese and its regions, pushing it to the firms it selects (pushPolicy)
// with each push job's live progress (policyPushJob polled while the job is pending or running,
// stopped when it ends or when the view is left), and withdrawing it with a reason.

import { AuthRequiredError, graphql } from "../api.js";
import { dateSpan } from "../dates.js";
import { formErrorSlot, showUserErrors, submitForm } from "../form.js";
import { formatCount, formatDateTime } from "../format.js";
import { POLICY_STATE, PUSH_JOB_STATUS, statusBadge, statusLabel } from "../statuses.js";
import { backLink, badge, card, el, errorMessage, facts, loadInto, uniqueId } from "../ui.js";
import { confirmForm, openPanel, statusLine } from "./gov_shared.js";
import { policyState } from "./policies.js";

const POLL_MS = 1500;
const JOB_FIELDS = "id status matchedCount pushedCount progress attempts error createdAt startedAt finishedAt";
const POLICY_FIELDS = `id code title policyType policyTypeLabel issuer summary body eligibility regionNames
  validFrom validUntil status pushedAt createdAt conditions`;
const DETAIL = `query GovPolicy($id: ID!) {
  policy(id: $id) { ${POLICY_FIELDS} }
  policyPushJobs(policyId: $id) { ${JOB_FIELDS} }
}`;
const POLICY = `query GovPolicyHead($id: ID!) { policy(id: $id) { ${POLICY_FIELDS} } }`;
const JOB = `query PolicyPushJob($id: ID!) { policyPushJob(id: $id) { ${JOB_FIELDS} } }`;
const PUSH = `mutation PushPolicy($policyId: ID!) {
  pushPolicy(policyId: $policyId) { job { ${JOB_FIELDS} } errors { code field message } }
}`;
const WITHDRAW = `mutation WithdrawPolicy($input: WithdrawPolicyInput!) {
  withdrawPolicy(input: $input) { policy { id status } errors { code field message } }
}`;
const RUNNING = new Set(["PENDING", "RUNNING"]);

/** Draw the policy `context.arg` into `container`. */
export async function render(container, context) {
  const body = el("div");
  container.replaceChildren(backLink("#gov-policies", "返回政策列表"), body);
  const draw = (message = null) =>
    loadInto(
      body,
      async () => graphql(DETAIL, { id: context.arg ?? "" }),
      (data) => (data.policy ? detail(data.policy, data.policyPushJobs, draw, message) : notFound()),
    );
  await draw();
}

function notFound() {
  return el("p", { class: "notice notice-error", role: "alert" }, "找不到这项政策，可能编号有误。");
}

function detail(policy, jobs, redraw, message) {
  const status = statusLine();
  if (message) status.show(message);
  const head = el("div", {}, headCard(policy));
  const view = { policy, status, head, redraw, panelSlot: el("div") };
  const parts = [status.node, head, conditionsCard(policy), pushCard(view, jobs)];
  if (policy.status === "ACTIVE") parts.push(withdrawCard(view));
  parts.push(view.panelSlot);
  return parts;
}

function headCard(policy) {
  const state = policyState(policy);
  return card(
    policy.title,
    "gov-card gov-policy-head",
    el("p", { class: "gov-badges" }, badge(policy.policyTypeLabel), statusBadge(POLICY_STATE, state)),
    el("p", {}, policy.summary),
    facts([
      ["政策代码", policy.code || "—", { mono: true }],
      ["政策类型", policy.policyTypeLabel],
      ["发布单位", policy.issuer],
      ["适用地区", policy.regionNames.length > 0 ? policy.regionNames.join("、") : "全国"],
      ["有效期", dateSpan(policy.validFrom, policy.validUntil)],
      ["状态", statusLabel(POLICY_STATE, state)],
      ["发布时间", formatDateTime(policy.createdAt)],
      ["首次推送", policy.pushedAt ? formatDateTime(policy.pushedAt) : "尚未推送"],
    ]),
  );
}

function conditionsCard(policy) {
  const conditions =
    policy.conditions.length > 0
      ? el("ul", { class: "gov-conditions" }, policy.conditions.map((text) => el("li", {}, text)))
      : el("p", {}, "不限条件。");
  return card(
    "适用条件",
    "gov-card",
    conditions,
    policy.regionNames.length > 0 ? el("p", { class: "hint" }, `并且注册地在：${policy.regionNames.join("、")}。`) : null,
    el(
      "details",
      { class: "gov-details" },
      el("summary", {}, "规则原文（JSON）"),
      el("pre", { class: "mono gov-pre" }, JSON.stringify(policy.eligibility, null, 2)),
    ),
    el("details", { class: "gov-details" }, el("summary", {}, "政策全文"), el("p", { class: "gov-body-text" }, policy.body)),
  );
}

const PUSH_BLOCKED = {
  WITHDRAWN: "政策已撤回，不能推送。",
  EXPIRED: "政策已过期，不能推送。",
  UPCOMING: "政策尚未生效，生效后才能推送。",
};

/** Why the policy cannot be pushed now, or null. */
function pushBlocked(policy) {
  return PUSH_BLOCKED[policyState(policy)] ?? null;
}

function pushCard(view, jobs) {
  const list = el("ol", { class: "gov-jobs" });
  const form = el("form", { class: "form", novalidate: true }, formErrorSlot());
  const blocked = pushBlocked(view.policy);
  const button = el(
    "button",
    { type: "submit", class: "btn btn-primary", "data-busy-text": "正在创建推送任务…", disabled: Boolean(blocked) },
    "推送给符合条件的企业",
  );
  form.append(
    el("p", {}, "推送给所有满足适用条件、注册地在适用地区内的企业；每家企业只收到一次。此后数据变化而新符合条件的企业也会自动收到。"),
  );
  if (blocked) form.append(el("p", { class: "hint" }, blocked));
  form.append(button);
  const empty = el("p", { class: "empty-state" }, "尚未推送。");
  const jobsUi = { list, empty, items: new Map() };
  const show = (job) => showJob(view, jobsUi, job);
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    submitForm(form, async () => {
      const payload = (await graphql(PUSH, { policyId: view.policy.id })).pushPolicy;
      if (payload.errors.length > 0 || !payload.job) {
        showUserErrors(form, payload.errors);
        return;
      }
      show(payload.job);
      view.status.show(RUNNING.has(payload.job.status) ? "推送任务已创建，正在后台执行。" : "推送任务已完成。");
    });
  });
  for (const job of [...jobs].reverse()) show(job);
  return card("推送", "gov-card", form, el("h3", {}, "推送记录"), empty, list);
}

/** Show `job` (new: at the top; known: updated in place) and follow it while it runs. */
function showJob(view, jobsUi, job) {
  let entry = jobsUi.items.get(job.id);
  if (!entry) {
    entry = jobItem(job);
    jobsUi.items.set(job.id, entry);
    jobsUi.list.prepend(entry.node);
    jobsUi.empty.hidden = true;
    if (RUNNING.has(job.status)) follow(view, entry, job);
  }
  entry.update(job);
}

function jobItem(job) {
  const labelId = uniqueId("job-label");
  const badgeSlot = el("span");
  const progress = el("progress", { max: "1", value: "0", "aria-labelledby": labelId });
  const summary = el("p", { class: "gov-job-summary", id: labelId });
  const details = el("div");
  const note = el("p", { class: "notice notice-error", role: "alert", hidden: true });
  const node = el(
    "li",
    { class: "gov-job" },
    el("p", { class: "gov-job-head" }, el("strong", {}, `推送任务 ${job.id}`), " ", badgeSlot),
    progress,
    summary,
    details,
    note,
  );
  let lastText = "";
  return {
    node,
    note,
    update(current) {
      const text = jobSummary(current);
      badgeSlot.replaceChildren(statusBadge(PUSH_JOB_STATUS, current.status));
      progress.value = Math.max(0, Math.min(1, current.progress));
      if (text !== lastText) summary.textContent = text;
      lastText = text;
      details.replaceChildren(jobFacts(current));
    },
  };
}

function jobSummary(job) {
  const percent = `${Math.round(job.progress * 100)}%`;
  const matched = job.matchedCount === null ? "正在匹配符合条件的企业" : `匹配 ${formatCount(job.matchedCount)} 家企业`;
  return `${statusLabel(PUSH_JOB_STATUS, job.status)}：${matched}，已推送 ${formatCount(job.pushedCount)} 条消息（进度 ${percent}）`;
}

function jobFacts(job) {
  return facts([
    ["执行次数", `${job.attempts} 次`],
    ["创建时间", formatDateTime(job.createdAt)],
    ["开始时间", job.startedAt ? formatDateTime(job.startedAt) : null],
    ["完成时间", job.finishedAt ? formatDateTime(job.finishedAt) : null],
    ["失败原因", job.error || null],
  ]);
}

/** Ask for the job's progress every POLL_MS while it runs and the view still shows it. */
function follow(view, entry, job) {
  const tick = async () => {
    if (!entry.node.isConnected) return; // the view was left or redrawn: stop
    let current;
    try {
      current = (await graphql(JOB, { id: job.id })).policyPushJob;
    } catch (error) {
      if (error instanceof AuthRequiredError || !entry.node.isConnected) return;
      entry.note.textContent = `暂时无法刷新进度（${errorMessage(error)}），稍后自动重试。`;
      entry.note.hidden = false;
      setTimeout(tick, POLL_MS * 2);
      return;
    }
    if (!entry.node.isConnected) return;
    entry.note.hidden = true;
    entry.update(current);
    if (RUNNING.has(current.status)) setTimeout(tick, POLL_MS);
    else finished(view, current);
  };
  setTimeout(tick, POLL_MS);
}

async function finished(view, job) {
  if (job.status === "DONE") {
    const matched = formatCount(job.matchedCount ?? 0);
    view.status.show(`推送完成：匹配 ${matched} 家企业，新推送 ${formatCount(job.pushedCount)} 条消息。`);
  } else {
    view.status.show(`推送失败：${job.error || "原因不明"}`, "error");
  }
  try {
    const policy = (await graphql(POLICY, { id: view.policy.id })).policy;
    if (policy && view.head.isConnected) view.head.replaceChildren(headCard(policy));
  } catch {
    // the head keeps its older "首次推送" time; the job's own state is already shown
  }
}

function withdrawCard(view) {
  const open = () =>
    openPanel(
      view.panelSlot,
      confirmForm({
        title: "确认撤回政策",
        text: `撤回“${view.policy.title}”后不再推送，也不再为企业匹配；已发出的消息保留。撤回后不能恢复。`,
        reason: { label: "撤回原因", required: true, hint: "2 到 500 个字，会记入审计日志。" },
        confirmLabel: "确认撤回",
        busyText: "正在撤回…",
        danger: true,
        submit: async (values) =>
          (await graphql(WITHDRAW, { input: { policyId: view.policy.id, reason: values.reason } })).withdrawPolicy,
        done: () => view.redraw("政策已撤回：不再推送，已发出的消息保留。"),
        cancel: () => view.panelSlot.replaceChildren(),
      }),
    );
  return card(
    "撤回政策",
    "gov-card",
    el("p", {}, "政策不再适用时撤回：停止推送和匹配，已发出的消息保留。"),
    el("button", { type: "button", class: "btn btn-secondary", onclick: open }, "撤回政策…"),
  );
}
