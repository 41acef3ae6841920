// institutions.js — owns the government console's "金融机构" view (#gov-institutions): the
// institutions on the platform with their status, onboarding a new one after its security
// assessment, and suspending or reactivating one (有进有出) after an in-page confirmation.

import { graphql } from "../api.js";
import { chinaToday } from "../dates.js";
import { checkboxField, splitList } from "../fields.js";
import { buildField, formErrorSlot, readForm, showUserErrors, submitForm } from "../form.js";
import { formatDateTime } from "../format.js";
import { INSTITUTION_KIND_LABELS, label } from "../labels.js";
import { INSTITUTION_STATUS, statusBadge } from "../statuses.js";
import { card, el, emptyState, loadInto } from "../ui.js";
import { dataTable } from "../widgets.js";
import { GOV_TABLE, confirmForm, formActions, openPanel, statusLine, toggleButton } from "./gov_shared.js";

const LIST = `query ManagedInstitutions {
  managedInstitutions { id name uscc kind status regionCodes statusReason statusChangedAt createdAt }
}`;
const ONBOARD = `mutation OnboardInstitution($input: OnboardInstitutionInput!) {
  onboardInstitution(input: $input) { institution { id name } errors { code field message } }
}`;
const SET_STATUS = `mutation SetInstitutionStatus($input: SetInstitutionStatusInput!) {
  setInstitutionStatus(input: $input) { institution { id name status } errors { code field message } }
}`;

const KIND_OPTIONS = [["", "请选择机构类别"], ...Object.entries(INSTITUTION_KIND_LABELS)];

/** Draw the institutions view into `container`. */
export async function render(container) {
  const status = statusLine();
  const listBox = el("div");
  const panelSlot = el("div");
  const formCard = el("div", { hidden: true });
  const view = { status, listBox, panelSlot, formCard };
  const reload = () => loadList(view);
  formCard.append(onboardCard(view, reload));
  const opener = toggleButton("接入金融机构", formCard, () => formCard.querySelector("input")?.focus());
  view.opener = opener;
  container.replaceChildren(
    status.node,
    el("div", { class: "gov-toolbar" }, opener),
    formCard,
    card("已接入的金融机构", "gov-card", listBox),
    panelSlot,
  );
  await reload();
}

function loadList(view) {
  return loadInto(
    view.listBox,
    async () => (await graphql(LIST)).managedInstitutions,
    (institutions) => institutionsTable(institutions, view),
  );
}

function institutionsTable(institutions, view) {
  if (institutions.length === 0) return emptyState("还没有接入的金融机构。");
  return dataTable({
    ...GOV_TABLE,
    caption: "已接入的金融机构",
    rows: institutions,
    rowClass: (row) => (row.status === "ACTIVE" ? null : "is-muted"),
    columns: [
      { label: "机构名称", rowHeader: true, cell: (row) => row.name },
      { label: "类别", cell: (row) => label(INSTITUTION_KIND_LABELS, row.kind), className: "nowrap" },
      { label: "统一社会信用代码", cell: (row) => el("span", { class: "mono" }, row.uscc) },
      { label: "服务地区", cell: (row) => row.regionCodes.join("、"), className: "mono" },
      { label: "状态", cell: (row) => statusCell(row), className: "nowrap" },
      { label: "接入时间", cell: (row) => formatDateTime(row.createdAt), className: "nowrap" },
      { label: "操作", cell: (row) => actionButton(row, view) },
    ],
  }).node;
}

function statusCell(row) {
  const parts = [statusBadge(INSTITUTION_STATUS, row.status)];
  if (row.statusReason) parts.push(el("span", { class: "gov-note" }, `原因：${row.statusReason}`));
  return el("div", { class: "gov-stack" }, parts);
}

function actionButton(row, view) {
  if (row.status === "REVOKED") return "—";
  const suspend = row.status === "ACTIVE";
  return el(
    "button",
    {
      type: "button",
      class: "btn btn-secondary btn-small",
      "aria-label": `${suspend ? "暂停" : "恢复"}${row.name}`,
      onclick: () => openPanel(view.panelSlot, statusPanel(row, suspend, view)),
    },
    suspend ? "暂停" : "恢复",
  );
}

function statusPanel(row, suspend, view) {
  const close = () => view.panelSlot.replaceChildren();
  return confirmForm({
    title: suspend ? `暂停接入：${row.name}` : `恢复接入：${row.name}`,
    text: suspend
      ? "暂停后，该机构全部工作人员的登录会话立即失效，API 令牌暂停使用；恢复后令牌重新可用。"
      : "恢复后，该机构的工作人员可以重新登录，API 令牌重新可用。",
    reason: {
      label: suspend ? "暂停原因" : "恢复说明（可选）",
      required: suspend,
      hint: "2 到 500 个字。",
    },
    confirmLabel: suspend ? "确认暂停" : "确认恢复",
    busyText: suspend ? "正在暂停…" : "正在恢复…",
    danger: suspend,
    submit: async (values) => {
      const input = { institutionId: row.id, status: suspend ? "SUSPENDED" : "ACTIVE", reason: values.reason || null };
      return (await graphql(SET_STATUS, { input })).setInstitutionStatus;
    },
    done: async () => {
      close();
      view.status.show(suspend ? `已暂停“${row.name}”的接入。` : `已恢复“${row.name}”的接入。`);
      await loadList(view);
    },
    cancel: close,
  });
}

function onboardFields() {
  return [
    buildField({ name: "name", label: "机构名称", required: true, hint: "2 到 100 个字。", attributes: { maxlength: "100" } }),
    buildField({
      name: "uscc",
      label: "统一社会信用代码",
      required: true,
      attributes: { maxlength: "24", class: "mono", autocomplete: "off", spellcheck: "false" },
    }),
    buildField({
      name: "kind",
      label: "机构类别",
      type: "select",
      options: KIND_OPTIONS,
      required: true,
      requiredMessage: "请选择机构类别",
    }),
    buildField({
      name: "regionCodes",
      label: "服务地区",
      required: true,
      requiredMessage: "请至少填写一个服务地区",
      hint: "2、4 或 6 位行政区划代码，多个用逗号分隔，如 37、3713、371302。",
      attributes: { inputmode: "numeric", autocomplete: "off" },
    }),
  ];
}

function assessmentFields() {
  return el(
    "fieldset",
    { class: "gov-fieldset" },
    el("legend", {}, "安全评估"),
    el(
      "div",
      { class: "gov-form-grid" },
      buildField({ name: "securityAssessment.reportNumber", label: "评估报告编号", required: true }),
      buildField({
        name: "securityAssessment.assessedOn",
        label: "评估日期",
        type: "date",
        required: true,
        hint: "不晚于今天，且在 365 天以内。",
        attributes: { max: chinaToday() },
      }),
      buildField({ name: "securityAssessment.assessor", label: "评估机构", required: true }),
    ),
    buildField({ name: "securityAssessment.summary", label: "评估结论摘要（可选）", type: "textarea", attributes: { rows: "2" } }),
    checkboxField({
      name: "securityAssessment.passed",
      label: "已通过安全评估",
      errorFor: "securityAssessment.passed",
      className: "field field-checkbox",
    }),
  );
}

function onboardCard(view, reload) {
  const form = el("form", { class: "form", novalidate: true }, formErrorSlot());
  form.append(
    el("div", { class: "gov-form-grid" }, onboardFields()),
    assessmentFields(),
    formActions({ label: "接入", busyText: "正在接入…", onCancel: () => view.opener.click() }),
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    submitForm(form, async () => {
      const payload = (await graphql(ONBOARD, { input: onboardInput(readForm(form)) })).onboardInstitution;
      if (payload.errors.length > 0) {
        showUserErrors(form, payload.errors);
        return;
      }
      form.reset();
      view.opener.click();
      view.status.show(`已接入“${payload.institution.name}”。`);
      await reload();
    });
  });
  const note = el("p", { class: "hint" }, "须先通过安全评估。接入后可为该机构创建工作人员账户和签发 API 令牌。");
  return card("接入金融机构", "gov-card", note, form);
}

function onboardInput(values) {
  return {
    name: values.name,
    uscc: values.uscc.replace(/\s+/g, "").toUpperCase(),
    kind: values.kind,
    regionCodes: splitList(values.regionCodes),
    securityAssessment: {
      reportNumber: values["securityAssessment.reportNumber"],
      assessedOn: values["securityAssessment.assessedOn"],
      assessor: values["securityAssessment.assessor"],
      passed: values["securityAssessment.passed"],
      summary: values["securityAssessment.summary"] || null,
    },
  };
}
