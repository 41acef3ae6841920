// gov_shared.js — owns what the government console's views share: data tables that scroll
// inside their own .table-wrap, the in-page confirmation step (a small form with a reason),
// the view's status line, Chinese labels for the states of institutions, policies, push jobs,
// objections and repair requests, and small helpers (today in China, lists of region codes).

import { badge, el, uniqueId } from "../ui.js";
import { buildField, formErrorSlot, readForm, showUserErrors, submitForm } from "../form.js";

export const POLICY_TYPES = [
  ["INTEREST_SUBSIDY", "贷款贴息"],
  ["RISK_COMPENSATION", "风险补偿"],
  ["GUARANTEE_FEE_SUBSIDY", "担保费补贴"],
  ["FIRST_LOAN_REWARD", "首贷奖励"],
  ["OTHER", "其他"],
];

export const INSTITUTION_STATUS = {
  ACTIVE: ["正常接入", "ok"],
  SUSPENDED: ["已暂停", "warn"],
  REVOKED: ["已退出", "error"],
};

export const JOB_STATUS = {
  PENDING: ["待执行", ""],
  RUNNING: ["执行中", "warn"],
  DONE: ["已完成", "ok"],
  FAILED: ["失败", "error"],
};

export const OBJECTION_STATUS = {
  SUBMITTED: ["已受理待转交", "warn"],
  FORWARDED: ["已转交核查", ""],
  UPHELD: ["异议成立", "ok"],
  REJECTED: ["异议未予支持", ""],
};

export const REPAIR_STATUS = {
  SUBMITTED: ["待审核", "warn"],
  APPROVED: ["已通过", "ok"],
  REJECTED: ["未通过", ""],
};

/** A badge for `code` from one of the tables above ([text, kind] per code). */
export function statusBadge(table, code) {
  const [text, kind] = table[code] ?? [code || "—", ""];
  return badge(text, kind);
}

const CHINA_DATE = new Intl.DateTimeFormat("en-CA", {
  timeZone: "Asia/Shanghai",
  year: "numeric",
  month: "2-digit",
  day: "2-digit",
});

/** Today's date in China as "2026-11-21" (policies' validity is in China dates). */
export function chinaToday() {
  return CHINA_DATE.format(new Date());
}

/** "3713, 3205 371302" → ["3713", "3205", "371302"] (commas, 、 or spaces between codes). */
export function splitCodes(text) {
  return String(text ?? "")
    .split(/[\s,，、;；]+/)
    .filter(Boolean);
}

/**
 * A table inside a scrolling, keyboard-focusable .table-wrap: dataTable({caption, columns:
 * [{label, cell(row) → text or node, className}], rows, rowClass(row)}).
 */
export function dataTable({ caption, columns, rows, rowClass = () => null }) {
  const head = el("tr", {}, columns.map((column) => el("th", { scope: "col", class: column.className }, column.label)));
  const body = el("tbody");
  appendRows(body, columns, rows, rowClass);
  const table = el("table", { class: "gov-table" }, el("caption", { class: "gov-sr-only" }, caption), el("thead", {}, head), body);
  return el("div", { class: "table-wrap", role: "group", "aria-label": `${caption}（表格，可左右滚动）`, tabindex: "0" }, table);
}

/** Add `rows` to a table built by dataTable (e.g. the next page of a list). */
export function appendRows(body, columns, rows, rowClass = () => null) {
  for (const row of rows) {
    body.append(
      el(
        "tr",
        { class: rowClass(row) },
        columns.map((column, index) => {
          const value = column.cell(row);
          const content = value === null || value === undefined || value === "" ? "—" : value;
          return index === 0 ? el("th", { scope: "row", class: column.className }, content) : el("td", { class: column.className }, content);
        }),
      ),
    );
  }
}

/** The view's status line: {node, show(message, kind = "ok", ...extra nodes), hide()}. */
export function statusLine() {
  const node = el("div", { class: "notice gov-status", role: "status", hidden: true });
  return {
    node,
    show(message, kind = "ok", ...extra) {
      node.className = `notice gov-status ${kind === "error" ? "notice-error" : "notice-ok"}`;
      node.replaceChildren(el("span", {}, message), ...extra);
      node.hidden = false;
    },
    hide() {
      node.hidden = true;
      node.replaceChildren();
    },
  };
}

/**
 * An in-page confirmation as a small form (people confirm in the page, not in a browser dialog):
 * confirmForm({title, text, reason: {label, required, hint} | null, confirmLabel, busyText,
 * danger, submit(values) → payload with errors, done(payload), cancel()}) → the card node.
 * Server errors appear next to the reason (field "reason") or at the top of the form.
 */
export function confirmForm({ title, text, reason = null, confirmLabel, busyText, danger = false, submit, done, cancel }) {
  const headingId = uniqueId("confirm-title");
  const form = el("form", { class: "form", novalidate: true }, formErrorSlot());
  if (text) form.append(el("p", {}, text));
  if (reason) {
    form.append(
      buildField({
        name: "reason",
        label: reason.label,
        type: "textarea",
        hint: reason.hint ?? null,
        required: Boolean(reason.required),
        requiredMessage: reason.requiredMessage ?? `请填写${reason.label}`,
        attributes: { rows: "3", maxlength: "500" },
      }),
    );
  }
  const confirm = el(
    "button",
    { type: "submit", class: `btn ${danger ? "gov-btn-danger" : "btn-primary"}`, "data-busy-text": busyText },
    confirmLabel,
  );
  const back = el("button", { type: "button", class: "btn btn-ghost", onclick: cancel }, "取消");
  form.append(el("div", { class: "gov-actions" }, confirm, back));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    submitForm(form, async () => {
      const payload = await submit(readForm(form));
      if (payload.errors.length > 0) {
        showUserErrors(form, payload.errors);
        return;
      }
      done(payload);
    });
  });
  const section = el(
    "section",
    { class: "card gov-confirm", "aria-labelledby": headingId },
    el("h2", { id: headingId, tabindex: "-1" }, title),
    form,
  );
  return section;
}

/** Put `panel` into `slot`, scroll it into view and move the focus to its heading. */
export function openPanel(slot, panel) {
  slot.replaceChildren(panel);
  const heading = panel.querySelector("h2, h3");
  if (heading) {
    heading.setAttribute("tabindex", "-1");
    heading.focus();
  }
  panel.scrollIntoView({ block: "nearest" });
}

/** A button that shows and hides `target` (aria-expanded), calling `onOpen` when it opens. */
export function toggleButton(label, target, onOpen = () => {}) {
  const id = target.id || uniqueId("toggle-target");
  target.id = id;
  const button = el("button", { type: "button", class: "btn btn-primary", "aria-expanded": "false", "aria-controls": id }, label);
  button.addEventListener("click", () => {
    const open = target.hidden;
    target.hidden = !open;
    button.setAttribute("aria-expanded", String(open));
    if (open) onOpen();
    else button.focus(); // closed from inside (取消): the focus must not fall to the page
  });
  return button;
}
