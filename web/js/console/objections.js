// objections.js — owns the government console's "异议处理" view (#gov-objections): the queue
// of objections to credit records with their forwarding deadlines (overdue ones highlighted,
// "只看逾期"), forwarding one for checking, deciding one (upheld or not, with a reason and an
// optional correction), and the credit repair requests with their decision.

import { AuthRequiredError, graphql } from "../api.js";
import { checkboxField, radioGroup, reasonField } from "../fields.js";
import { buildField, formErrorSlot, readForm, showError, showUserErrors, submitForm } from "../form.js";
import { formatDate, formatDateTime } from "../format.js";
import { OBJECTION_OVERDUE, OBJECTION_STATUS, REPAIR_STATUS, statusBadge, statusOptions } from "../statuses.js";
import { card, el, emptyState, errorMessage, facts, loadInto, withBusyButton } from "../ui.js";
import { dataTable } from "../widgets.js";
import { GOV_TABLE, filterForm, formActions, openPanel, statusLine } from "./gov_shared.js";

const OBJECTIONS = `query GovObjections($status: ObjectionStatus, $overdueOnly: Boolean!) {
  objections(status: $status, overdueOnly: $overdueOnly, first: 100) {
    id status reason filedAt forwardDueAt forwardedAt resolvedAt resolutionReason overdue
    record { id categoryLabel source occurredOn fields }
    enterprise { name uscc regionName }
  }
}`;
const REPAIRS = `query GovRepairRequests($status: RepairStatus) {
  repairRequests(status: $status, first: 100) {
    id status reason eligibleFrom filedAt resolvedAt resolutionReason
    record { id categoryLabel source occurredOn }
    enterprise { name uscc }
  }
}`;
const USER_ERRORS = "errors { code field message }";
const FORWARD = `mutation ForwardObjection($id: ID!) { forwardObjection(id: $id) { objection { id status } ${USER_ERRORS} } }`;
const RESOLVE = `mutation ResolveObjection($input: ResolveObjectionInput!) {
  resolveObjection(input: $input) { objection { id status } ${USER_ERRORS} }
}`;
const RESOLVE_REPAIR = `mutation ResolveRepairRequest($input: ResolveRepairRequestInput!) {
  resolveRepairRequest(input: $input) { repairRequest { id status } ${USER_ERRORS} }
}`;
const OPEN = new Set(["SUBMITTED", "FORWARDED"]);

/** Draw the objections view into `container`. */
export async function render(container) {
  const view = {
    status: statusLine(),
    objections: el("div"),
    repairs: el("div"),
    panelSlot: el("div"),
    filters: { status: null, overdueOnly: false },
    repairStatus: null,
  };
  container.replaceChildren(
    view.status.node,
    card(
      "异议清单",
      "gov-card",
      el("p", { class: "hint" }, "异议须在受理后 2 个工作日内转交数据提供单位核查；转交期限最近的在前。"),
      objectionFilters(view),
      view.objections,
    ),
    view.panelSlot,
    card("信用修复申请", "gov-card", repairFilters(view), view.repairs),
  );
  await Promise.all([loadObjections(view), loadRepairs(view)]);
}

function objectionFilters(view) {
  const status = buildField({
    name: "status",
    label: "状态",
    type: "select",
    value: view.filters.status,
    options: statusOptions(OBJECTION_STATUS),
  });
  const overdue = checkboxField({
    name: "overdueOnly",
    label: "只看逾期（已过转交期限仍未转交）",
    className: "field field-checkbox",
  });
  return filterForm([status, overdue], (values) => {
    view.filters = { status: values.status || null, overdueOnly: values.overdueOnly };
    loadObjections(view);
  });
}

function repairFilters(view) {
  const status = buildField({
    name: "repairStatus",
    label: "状态",
    type: "select",
    value: view.repairStatus,
    options: statusOptions(REPAIR_STATUS),
  });
  return filterForm([status], (values) => {
    view.repairStatus = values.repairStatus || null;
    loadRepairs(view);
  });
}

function loadObjections(view) {
  return loadInto(
    view.objections,
    async () => (await graphql(OBJECTIONS, view.filters)).objections,
    (rows) => objectionTable(rows, view),
  );
}

function loadRepairs(view) {
  return loadInto(
    view.repairs,
    async () => (await graphql(REPAIRS, { status: view.repairStatus })).repairRequests,
    (rows) => repairTable(rows, view),
  );
}

function firmCell(row) {
  return el("div", { class: "gov-stack" }, el("span", {}, row.enterprise.name), el("span", { class: "mono gov-note" }, row.enterprise.uscc));
}

function recordCell(row) {
  const when = row.record.occurredOn ? `，${formatDate(row.record.occurredOn)}` : "";
  return el(
    "div",
    { class: "gov-stack" },
    el("span", {}, row.record.categoryLabel),
    el("span", { class: "gov-note" }, `${row.record.source}${when}`),
  );
}

function dueCell(row) {
  const parts = [el("span", { class: "nowrap" }, formatDateTime(row.forwardDueAt))];
  if (row.overdue) parts.push(statusBadge(OBJECTION_OVERDUE, "OVERDUE"));
  else if (row.forwardedAt) parts.push(el("span", { class: "gov-note" }, `已于 ${formatDateTime(row.forwardedAt)} 转交`));
  return el("div", { class: "gov-stack" }, parts);
}

function objectionTable(rows, view) {
  if (rows.length === 0) {
    return emptyState(view.filters.overdueOnly ? "没有逾期未转交的异议。" : "没有符合筛选条件的异议。");
  }
  return dataTable({
    ...GOV_TABLE,
    caption: "异议清单",
    rows,
    rowClass: (row) => (row.overdue ? "is-overdue" : null),
    columns: [
      { label: "企业", rowHeader: true, cell: firmCell },
      { label: "异议记录", cell: recordCell },
      { label: "异议理由", cell: (row) => row.reason, className: "gov-reason" },
      { label: "受理时间", cell: (row) => formatDateTime(row.filedAt), className: "nowrap" },
      { label: "转交期限", cell: dueCell },
      { label: "状态", cell: (row) => outcomeCell(OBJECTION_STATUS, row) },
      { label: "操作", cell: (row) => objectionActions(row, view) },
    ],
  }).node;
}

function outcomeCell(table, row) {
  const parts = [statusBadge(table, row.status)];
  if (row.resolutionReason) parts.push(el("span", { class: "gov-note" }, `理由：${row.resolutionReason}`));
  return el("div", { class: "gov-stack" }, parts);
}

function objectionActions(row, view) {
  if (!OPEN.has(row.status)) return "—";
  const name = row.enterprise.name;
  const buttons = [];
  if (row.status === "SUBMITTED") {
    const forward = el(
      "button",
      { type: "button", class: "btn btn-secondary btn-small", "aria-label": `转交核查：${name}的异议` },
      "转交核查",
    );
    forward.addEventListener("click", () => forwardObjection(forward, row, view));
    buttons.push(forward);
  }
  buttons.push(
    el(
      "button",
      {
        type: "button",
        class: "btn btn-secondary btn-small",
        "aria-label": `处理：${name}的异议`,
        onclick: () => openPanel(view.panelSlot, resolvePanel(row, view)),
      },
      "处理",
    ),
  );
  return el("div", { class: "gov-row-actions" }, buttons);
}

async function forwardObjection(button, row, view) {
  view.status.hide();
  await withBusyButton(button, "正在转交…", async () => {
    try {
      const payload = (await graphql(FORWARD, { id: row.id })).forwardObjection;
      if (payload.errors.length > 0) {
        view.status.show(payload.errors.map((e) => e.message).join("；"), "error");
        return;
      }
      view.status.show(`已将${row.enterprise.name}的异议转交${row.record.source}核查。`);
    } catch (error) {
      if (error instanceof AuthRequiredError) return;
      view.status.show(errorMessage(error), "error");
      return;
    }
  });
  await loadObjections(view);
}

/** Radio groups are not covered by form.js's required check: a decision must be picked. */
function decisionMissing(form, values, name) {
  if (values[name]) return false;
  showError(form, name, "请选择处理结果");
  form.querySelector(`[name="${name}"]`).focus();
  return true;
}

/**
 * The panel where staff decide an objection or a repair request: decisionPanel({title, about
 * ([term, value] rows), before and after (more nodes around the decision and its reason),
 * decision: {name, legend, yes, no} (values "true" / "false"), reasonHint, submitText, close,
 * decide(form, values)}). `decide` runs once a decision is picked.
 */
function decisionPanel({ title, about, before = [], after = [], decision, reasonHint, submitText, close, decide }) {
  const form = el(
    "form",
    { class: "form", novalidate: true },
    formErrorSlot(),
    facts(about),
    before,
    radioGroup({
      name: decision.name,
      legend: decision.legend,
      options: [
        ["true", decision.yes],
        ["false", decision.no],
      ],
      className: "field gov-fieldset",
      labelClass: "gov-radio",
      errorFor: decision.name,
    }),
    reasonField({ label: "理由", hint: reasonHint, rows: 3 }),
    after,
    formActions({ label: submitText, busyText: "正在提交…", onCancel: close }),
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    submitForm(form, async () => {
      const values = readForm(form);
      if (decisionMissing(form, values, decision.name)) return;
      await decide(form, values);
    });
  });
  return card(title, "gov-card gov-confirm", form);
}

function resolvePanel(row, view) {
  const close = () => view.panelSlot.replaceChildren();
  return decisionPanel({
    title: `处理异议：${row.enterprise.name}`,
    about: [
      ["企业", `${row.enterprise.name}（${row.enterprise.uscc}）`],
      ["异议记录", `${row.record.categoryLabel}，${row.record.source}`],
      ["异议理由", row.reason],
    ],
    before: [
      el(
        "details",
        { class: "gov-details" },
        el("summary", {}, "记录内容"),
        el("pre", { class: "mono gov-pre" }, JSON.stringify(row.record.fields, null, 2)),
      ),
    ],
    decision: { name: "uphold", legend: "处理结果", yes: "异议成立", no: "异议未予支持" },
    reasonHint: "未予支持时必填，会通知企业。",
    after: [
      buildField({
        name: "correction",
        label: "更正后的字段值（可选，JSON）",
        type: "textarea",
        hint: '仅异议成立且需更正时填写，如 {"amount": "2000"}；不填则该记录不再展示。',
        attributes: { rows: "3", class: "mono", spellcheck: "false" },
      }),
    ],
    submitText: "提交处理结果",
    close,
    decide: (form, values) => resolveObjection(form, values, row, view, close),
  });
}

async function resolveObjection(form, values, row, view, close) {
  let correction = null;
  if (values.correction) {
    try {
      correction = JSON.parse(values.correction);
    } catch {
      showError(form, "correction", "更正内容不是有效的 JSON");
      return;
    }
  }
  const input = { objectionId: row.id, uphold: values.uphold === "true", reason: values.reason || null, correction };
  const payload = (await graphql(RESOLVE, { input })).resolveObjection;
  if (payload.errors.length > 0) {
    showUserErrors(form, payload.errors);
    return;
  }
  close();
  view.status.show(`已处理${row.enterprise.name}的异议：${input.uphold ? "异议成立" : "异议未予支持"}。`);
  await loadObjections(view);
}

function repairTable(rows, view) {
  if (rows.length === 0) return emptyState("没有符合筛选条件的信用修复申请。");
  return dataTable({
    ...GOV_TABLE,
    caption: "信用修复申请",
    rows,
    columns: [
      { label: "企业", rowHeader: true, cell: firmCell },
      { label: "处罚记录", cell: recordCell },
      { label: "申请理由", cell: (row) => row.reason, className: "gov-reason" },
      { label: "可申请日期", cell: (row) => formatDate(row.eligibleFrom), className: "nowrap" },
      { label: "提交时间", cell: (row) => formatDateTime(row.filedAt), className: "nowrap" },
      { label: "状态", cell: (row) => outcomeCell(REPAIR_STATUS, row) },
      {
        label: "操作",
        cell: (row) =>
          row.status === "SUBMITTED"
            ? el(
                "button",
                {
                  type: "button",
                  class: "btn btn-secondary btn-small",
                  "aria-label": `审核：${row.enterprise.name}的信用修复申请`,
                  onclick: () => openPanel(view.panelSlot, repairPanel(row, view)),
                },
                "审核",
              )
            : "—",
      },
    ],
  }).node;
}

function repairPanel(row, view) {
  const close = () => view.panelSlot.replaceChildren();
  return decisionPanel({
    title: `审核信用修复：${row.enterprise.name}`,
    about: [
      ["企业", `${row.enterprise.name}（${row.enterprise.uscc}）`],
      ["处罚记录", `${row.record.categoryLabel}，${row.record.source}`],
      ["申请理由", row.reason],
    ],
    decision: { name: "approve", legend: "审核结果", yes: "通过（该处罚不再公示、不再计入评价）", no: "不通过" },
    reasonHint: "不通过时必填，会通知企业。",
    submitText: "提交审核结果",
    close,
    decide: async (form, values) => {
      const input = { requestId: row.id, approve: values.approve === "true", reason: values.reason || null };
      const payload = (await graphql(RESOLVE_REPAIR, { input })).resolveRepairRequest;
      if (payload.errors.length > 0) {
        showUserErrors(form, payload.errors);
        return;
      }
      close();
      view.status.show(`已审核${row.enterprise.name}的信用修复申请：${input.approve ? "通过" : "不通过"}。`);
      await loadRepairs(view);
    },
  });
}
