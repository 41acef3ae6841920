// objections.js — owns the government console's "异议处理" view (#gov-objections): the queue
// of objections to credit records with their forwarding deadlines (overdue ones highlighted,
// "只看逾期"), forwarding one for checking, deciding one (upheld or not, with a reason and an
// optional correction), and the credit repair requests with their decision.

import { AuthRequiredError, graphql } from "../api.js";
import { buildField, formErrorSlot, readForm, showError, showUserErrors, submitForm } from "../form.js";
import { formatDate, formatDateTime } from "../format.js";
import { badge, card, el, errorMessage, facts, loadInto, uniqueId, withBusyButton } from "../ui.js";
import { OBJECTION_STATUS, REPAIR_STATUS, dataTable, openPanel, statusBadge, statusLine } from "./gov_shared.js";

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
    options: [["", "全部"], ...Object.entries(OBJECTION_STATUS).map(([code, [text]]) => [code, text])],
  });
  const overdue = el(
    "div",
    { class: "field field-checkbox" },
    el("label", {}, el("input", { type: "checkbox", name: "overdueOnly" }), "只看逾期（已过转交期限仍未转交）"),
  );
  const form = el("form", { class: "gov-filters", novalidate: true }, status, overdue);
  form.addEventListener("change", () => {
    const values = readForm(form);
    view.filters = { status: values.status || null, overdueOnly: values.overdueOnly };
    loadObjections(view);
  });
  form.addEventListener("submit", (event) => event.preventDefault());
  return form;
}

function repairFilters(view) {
  const status = buildField({
    name: "repairStatus",
    label: "状态",
    type: "select",
    value: view.repairStatus,
    options: [["", "全部"], ...Object.entries(REPAIR_STATUS).map(([code, [text]]) => [code, text])],
  });
  const form = el("form", { class: "gov-filters", novalidate: true }, status);
  form.addEventListener("change", () => {
    view.repairStatus = readForm(form).repairStatus || null;
    loadRepairs(view);
  });
  form.addEventListener("submit", (event) => event.preventDefault());
  return form;
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
  if (row.overdue) parts.push(badge("已逾期", "error"));
  else if (row.forwardedAt) parts.push(el("span", { class: "gov-note" }, `已于 ${formatDateTime(row.forwardedAt)} 转交`));
  return el("div", { class: "gov-stack" }, parts);
}

function objectionTable(rows, view) {
  if (rows.length === 0) {
    return el("p", { class: "empty-state" }, view.filters.overdueOnly ? "没有逾期未转交的异议。" : "没有符合筛选条件的异议。");
  }
  return dataTable({
    caption: "异议清单",
    rows,
    rowClass: (row) => (row.overdue ? "is-overdue" : null),
    columns: [
      { label: "企业", cell: firmCell },
      { label: "异议记录", cell: recordCell },
      { label: "异议理由", cell: (row) => row.reason, className: "gov-reason" },
      { label: "受理时间", cell: (row) => formatDateTime(row.filedAt), className: "nowrap" },
      { label: "转交期限", cell: dueCell },
      { label: "状态", cell: (row) => outcomeCell(OBJECTION_STATUS, row) },
      { label: "操作", cell: (row) => objectionActions(row, view) },
    ],
  });
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

/** A radio group "decision" with an error slot; values "true" / "false". */
function decisionField(name, legend, yes, no) {
  const errorId = uniqueId("decision-error");
  const option = (value, text) =>
    el("label", { class: "gov-radio" }, el("input", { type: "radio", name, value }), text);
  return el(
    "fieldset",
    { class: "field gov-fieldset", "aria-describedby": errorId },
    el("legend", {}, legend),
    option("true", yes),
    option("false", no),
    el("p", { class: "field-error", id: errorId, "data-error-for": name, role: "alert", hidden: true }),
  );
}

function reasonField(hint) {
  return buildField({ name: "reason", label: "理由", type: "textarea", hint, attributes: { rows: "3", maxlength: "1000" } });
}

function resolvePanel(row, view) {
  const close = () => view.panelSlot.replaceChildren();
  const form = el(
    "form",
    { class: "form", novalidate: true },
    formErrorSlot(),
    facts([
      ["企业", `${row.enterprise.name}（${row.enterprise.uscc}）`],
      ["异议记录", `${row.record.categoryLabel}，${row.record.source}`],
      ["异议理由", row.reason],
    ]),
    el(
      "details",
      { class: "gov-details" },
      el("summary", {}, "记录内容"),
      el("pre", { class: "mono gov-pre" }, JSON.stringify(row.record.fields, null, 2)),
    ),
    decisionField("uphold", "处理结果", "异议成立", "异议未予支持"),
    reasonField("未予支持时必填，会通知企业。"),
    buildField({
      name: "correction",
      label: "更正后的字段值（可选，JSON）",
      type: "textarea",
      hint: '仅异议成立且需更正时填写，如 {"amount": "2000"}；不填则该记录不再展示。',
      attributes: { rows: "3", class: "mono", spellcheck: "false" },
    }),
    el(
      "div",
      { class: "gov-actions" },
      el("button", { type: "submit", class: "btn btn-primary", "data-busy-text": "正在提交…" }, "提交处理结果"),
      el("button", { type: "button", class: "btn btn-ghost", onclick: close }, "取消"),
    ),
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    submitForm(form, () => resolveObjection(form, row, view, close));
  });
  return card(`处理异议：${row.enterprise.name}`, "gov-card gov-confirm", form);
}

/** Radio groups are not covered by form.js's required check: a decision must be picked. */
function decisionMissing(form, values, name) {
  if (values[name]) return false;
  showError(form, name, "请选择处理结果");
  form.querySelector(`[name="${name}"]`).focus();
  return true;
}

async function resolveObjection(form, row, view, close) {
  const values = readForm(form);
  if (decisionMissing(form, values, "uphold")) return;
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
  if (rows.length === 0) return el("p", { class: "empty-state" }, "没有符合筛选条件的信用修复申请。");
  return dataTable({
    caption: "信用修复申请",
    rows,
    columns: [
      { label: "企业", cell: firmCell },
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
  });
}

function repairPanel(row, view) {
  const close = () => view.panelSlot.replaceChildren();
  const form = el(
    "form",
    { class: "form", novalidate: true },
    formErrorSlot(),
    facts([
      ["企业", `${row.enterprise.name}（${row.enterprise.uscc}）`],
      ["处罚记录", `${row.record.categoryLabel}，${row.record.source}`],
      ["申请理由", row.reason],
    ]),
    decisionField("approve", "审核结果", "通过（该处罚不再公示、不再计入评价）", "不通过"),
    reasonField("不通过时必填，会通知企业。"),
    el(
      "div",
      { class: "gov-actions" },
      el("button", { type: "submit", class: "btn btn-primary", "data-busy-text": "正在提交…" }, "提交审核结果"),
      el("button", { type: "button", class: "btn btn-ghost", onclick: close }, "取消"),
    ),
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    submitForm(form, async () => {
      const values = readForm(form);
      if (decisionMissing(form, values, "approve")) return;
      const input = { requestId: row.id, approve: values.approve === "true", reason: values.reason || null };
      const payload = (await graphql(RESOLVE_REPAIR, { input })).resolveRepairRequest;
      if (payload.errors.length > 0) {
        showUserErrors(form, payload.errors);
        return;
      }
      close();
      view.status.show(`已审核${row.enterprise.name}的信用修复申请：${input.approve ? "通过" : "不通过"}。`);
      await loadRepairs(view);
    });
  });
  return card(`审核信用修复：${row.enterprise.name}`, "gov-card gov-confirm", form);
}
