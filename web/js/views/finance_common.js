// finance_common.js — owns what the enterprise's financing and authorisation views share: the
// Chinese labels of their statuses, the amount typed in 万元 or 元 turned into 元, a checkbox
// with its label, an action that asks for confirmation first, a list loaded page by page
// ("加载更多"), and the lists of reasons, unmet conditions and missing data of a match.

import { AuthRequiredError } from "../api.js";
import { formatAmountRange, formatDate, formatRate } from "../format.js";
import { badge, el, emptyState, errorMessage, loadInto, uniqueId, withBusyButton } from "../ui.js";

/** Status code → [Chinese label, badge kind]. */
export const AUTHORIZATION_STATUS = {
  ACTIVE: ["有效", "ok"],
  EXPIRED: ["已过期", ""],
  REVOKED: ["已撤销", "error"],
};

export const DEMAND_STATUS = {
  OPEN: ["开放中", "ok"],
  CLOSED: ["已关闭", ""],
};

export const APPLICATION_STATUS = {
  SUBMITTED: ["已提交，待审批", "warn"],
  APPROVED: ["已批准", "ok"],
  REJECTED: ["未获批准", "error"],
  DISBURSED: ["已放款", "ok"],
  WITHDRAWN: ["已撤回", ""],
  CLOSED: ["已结清", ""],
};

export const LOAN_STATUS = {
  NORMAL: "正常",
  OVERDUE: "逾期",
  DEFAULT: "违约",
  REPAID: "已结清",
};

export const PURPOSE_LABELS = {
  PRE_LOAN: "贷前调查",
  LOAN_APPROVAL: "贷中审批",
  POST_LOAN: "贷后管理",
};

export const ACCESS_KIND_LABELS = {
  REPORT: "查看信用报告",
  BATCH: "公开信息批量推送",
  INTERFACE: "接口实时查询",
  IDENTITY: "查看法定代表人身份证号码",
};

export const MESSAGE_KIND_LABELS = {
  POLICY: "政策",
  RISK_ALERT: "风险提示",
  APPLICATION: "融资申请",
  OBJECTION: "异议与信用修复",
  SYSTEM: "系统通知",
};

/** The scope code of the legal representative's full ID number (a separate consent). */
export const IDENTITY_SCOPE = "legal_rep_identity";

/** A status badge from one of the tables above. */
export function statusBadge(table, code) {
  const [text, kind] = table[code] ?? [code, ""];
  return badge(text, kind);
}

/**
 * An amount typed by a person ("50", "50.5", "1,000") in 万元 (`unit` "wan") or 元 ("yuan") as a
 * string of 元 for the API ("505000"), or null when it is not a number at all. Decimal places
 * are shifted as text, so no float rounding; the server checks the range and the 分.
 */
export function amountInYuan(text, unit) {
  const raw = String(text ?? "").replace(/[,，\s]/g, "");
  if (!/^\d+(\.\d+)?$/.test(raw)) return null;
  const [whole, fraction = ""] = raw.split(".");
  if (unit !== "wan") return fraction ? `${whole}.${fraction}` : whole;
  const padded = fraction.padEnd(4, "0");
  const yuan = `${whole}${padded.slice(0, 4)}`.replace(/^0+(?=\d)/, "");
  const rest = padded.slice(4);
  return rest ? `${yuan}.${rest}` : yuan;
}

/** A whole number typed by a person, or null when it is not one. */
export function wholeNumber(text) {
  const raw = String(text ?? "").trim();
  return /^\d{1,6}$/.test(raw) ? Number(raw) : null;
}

/** "4.35% – 5.5%" from a product's rate range. */
export function rateRange(product) {
  const low = formatRate(product.minAnnualRate);
  const high = formatRate(product.maxAnnualRate);
  return low === high ? low : `${low} – ${high}`;
}

/** "3–36个月" from a product's term range. */
export function termRange(product) {
  if (product.minTermMonths === product.maxTermMonths) return `${product.minTermMonths}个月`;
  return `${product.minTermMonths}–${product.maxTermMonths}个月`;
}

/** "10 万元 – 300 万元" from a product's amount range. */
export function amountRange(product) {
  return formatAmountRange(product.minAmount, product.maxAmount);
}

/** "2026年1月1日 至 2028年12月31日". */
export function dateSpan(from, until) {
  return `${formatDate(from)} 至 ${formatDate(until)}`;
}

/**
 * A checkbox with its label and (optionally) its own error slot:
 * checkboxField({name, label, value, multiple, required, requiredMessage, hint, errorFor}).
 */
export function checkboxField({
  name,
  label,
  value = "on",
  multiple = false,
  required = false,
  requiredMessage = null,
  hint = null,
  errorFor = null,
  checked = false,
}) {
  const id = uniqueId(`check-${name}`);
  const input = el("input", {
    type: "checkbox",
    id,
    name,
    value,
    "data-multiple": multiple ? "" : null,
    required: required || null,
    "data-required-message": required ? requiredMessage || `请勾选“${label}”` : null,
  });
  input.checked = checked;
  const described = [];
  const hintNode = hint ? el("p", { class: "hint", id: `${id}-hint` }, hint) : null;
  if (hintNode) described.push(hintNode.id);
  const slot = errorFor
    ? el("p", { class: "field-error", id: `${id}-error`, "data-error-for": errorFor, role: "alert", hidden: true })
    : null;
  if (slot) described.push(slot.id);
  if (described.length > 0) input.setAttribute("aria-describedby", described.join(" "));
  return el(
    "div",
    { class: "check-field" },
    el("label", { class: "check-label", for: id }, input, el("span", {}, label)),
    hintNode,
    slot,
  );
}

/** A row of buttons or links. */
export function actions(...children) {
  return el("div", { class: "fin-actions" }, ...children);
}

/**
 * A button whose action needs a second, explicit yes: confirmButton({label, question,
 * confirmText, busyText, onConfirm}). `onConfirm()` returns the payload's errors (an empty list
 * when done); they are shown beside the button, which comes back for another try.
 */
export function confirmButton({ label, question, confirmText, busyText = "请稍候…", onConfirm }) {
  const box = el("div", { class: "confirm-box" });
  const alert = el("p", { class: "notice notice-error", role: "alert", hidden: true });
  const trigger = el("button", { type: "button", class: "btn btn-secondary btn-small" }, label);

  function showTrigger() {
    box.replaceChildren(trigger, alert);
  }

  function ask() {
    alert.hidden = true;
    const yes = el("button", { type: "button", class: "btn btn-primary btn-small" }, confirmText);
    const no = el("button", { type: "button", class: "btn btn-ghost btn-small" }, "取消");
    const prompt = el("p", { class: "confirm-question", id: uniqueId("confirm") }, question);
    yes.setAttribute("aria-describedby", prompt.id);
    no.addEventListener("click", () => {
      showTrigger();
      trigger.focus();
    });
    yes.addEventListener("click", () => confirm(yes));
    const step = el("div", { class: "confirm-step", role: "group", "aria-label": label }, prompt, actions(yes, no));
    box.replaceChildren(step, alert);
    yes.focus();
  }

  async function confirm(yes) {
    let errors;
    try {
      errors = await withBusyButton(yes, busyText, onConfirm);
    } catch (error) {
      if (error instanceof AuthRequiredError) return;
      errors = [{ message: errorMessage(error) }];
    }
    if (errors.length === 0) return;
    showTrigger();
    alert.textContent = errors.map((e) => e.message).join("\n");
    alert.hidden = false;
    trigger.focus();
  }

  trigger.addEventListener("click", ask);
  showTrigger();
  return box;
}

/**
 * A list loaded a page at a time into `container`: fetchPage(after) returns the items of one
 * page (`pageSize` at most), renderItem(item) draws one; "加载更多" asks for the page after the
 * last item's id. Shows loading, error with 重试, and `emptyText` for an empty first page.
 */
export async function pagedList(container, { fetchPage, renderItem, emptyText, pageSize, listLabel }) {
  const list = el("ul", { class: "fin-list", "aria-label": listLabel });
  const more = el("div", { class: "fin-more" });

  function addPage(items) {
    for (const item of items) list.append(el("li", {}, renderItem(item)));
    more.replaceChildren();
    if (items.length < pageSize) return;
    const after = items[items.length - 1].id;
    const button = el("button", { type: "button", class: "btn btn-secondary btn-block" }, "加载更多");
    const alert = el("p", { class: "notice notice-error", role: "alert", hidden: true });
    button.addEventListener("click", async () => {
      let next;
      try {
        next = await withBusyButton(button, "正在加载…", () => fetchPage(after));
      } catch (error) {
        if (error instanceof AuthRequiredError) return;
        alert.textContent = errorMessage(error);
        alert.hidden = false;
        return;
      }
      addPage(next);
      if (next.length === 0) more.replaceChildren(el("p", { class: "hint" }, "已全部加载。"));
    });
    more.replaceChildren(alert, button);
  }

  await loadInto(
    container,
    () => fetchPage(null),
    (items) => {
      if (items.length === 0) return emptyState(emptyText);
      addPage(items);
      return [list, more];
    },
  );
}

/** A titled list of sentences (reasons, conditions); nothing when `items` is empty. */
export function sentenceList(title, items, extraClass = "") {
  if (!items || items.length === 0) return null;
  return el(
    "div",
    { class: `sentences ${extraClass}`.trim() },
    el("p", { class: "sentences-title" }, title),
    el("ul", {}, items.map((text) => el("li", {}, text))),
  );
}

/**
 * What a near miss still lacks, in Chinese: each unmet condition ("还差：…"), the area rule said
 * with the area's names, and the smallest change that would qualify when the server knows one.
 */
export function unmetSentences(match, regionNames = [], areaWord = "服务地区") {
  const sentences = match.unmetConditions.map((condition) => {
    if (condition.fact === "region_code" && regionNames.length > 0) {
      return `${areaWord}（${regionNames.join("、")}）不含本企业所在地`;
    }
    return condition.message;
  });
  return sentences.length > 0 ? sentences : match.reasons;
}

/** The near-miss block: "还差：…" and "只需：…" lists. */
export function nearMissBlock(match, regionNames = [], areaWord = "服务地区") {
  const changes = match.nearMiss?.changes ?? [];
  return el(
    "div",
    { class: "near-miss" },
    sentenceList("还差：", unmetSentences(match, regionNames, areaWord), "sentences-missing"),
    sentenceList("只需：", changes.map((change) => change.message), "sentences-change"),
  );
}

/** The missing-data block of an UNKNOWN match, with where the data can be supplied. */
export function missingDataBlock(match) {
  const labels = match.missingFacts.map((fact) => fact.label);
  const declarable = match.missingFacts.some((fact) => fact.declarable);
  return el(
    "div",
    { class: "missing-data" },
    sentenceList("缺少的数据：", labels.length > 0 ? labels : match.reasons, "sentences-missing"),
    declarable
      ? el(
          "p",
          {},
          "您可以自主申报补充这些数据，核实后将重新匹配：",
          el("a", { href: "#declare" }, "去自主申报"),
        )
      : el(
          "p",
          { class: "hint" },
          "这些数据由相关部门归集，归集后平台会自动重新匹配，无需您操作。",
          el("a", { href: "#credit" }, "查看本企业的信用档案"),
        ),
  );
}

let notice = null;

/** Leave a message for the next view drawn (context.flash does not survive a change of view). */
export function leaveNotice(text) {
  notice = text;
}

/** The message left by leaveNotice, once, as a status line; null when there is none. */
export function pendingNotice() {
  const text = notice;
  notice = null;
  return text ? el("p", { class: "notice notice-ok", role: "status" }, text) : null;
}

const DEMAND_KEY = "xinrong.finance.demandId";

/** Remember which demand the products were matched for (null: none), for applying from #product. */
export function rememberDemand(id) {
  try {
    sessionStorage.setItem(DEMAND_KEY, id ?? "none");
  } catch {
    // no storage: #product falls back to the latest open demand
  }
}

/** The demand remembered by rememberDemand: an id, "none", or null when nothing was chosen. */
export function rememberedDemand() {
  try {
    return sessionStorage.getItem(DEMAND_KEY);
  } catch {
    return null;
  }
}

/**
 * A list showing its first `shown` items, with a "显示其余 N {noun}" button for the rest; the
 * first item revealed takes the focus. Returns [list, button or null].
 */
export function shortList(items, renderItem, { shown, noun }) {
  const list = el("ul", { class: "fin-list" });
  const add = (some) => some.map((item) => {
    const node = renderItem(item);
    list.append(el("li", {}, node));
    return node;
  });
  add(items.slice(0, shown));
  const rest = items.slice(shown);
  if (rest.length === 0) return [list, null];
  const more = el("button", { type: "button", class: "btn btn-secondary btn-block" }, `显示其余 ${rest.length} ${noun}`);
  more.addEventListener("click", () => {
    const [first] = add(rest);
    more.remove();
    first.tabIndex = -1;
    first.focus();
  });
  return [list, more];
}
