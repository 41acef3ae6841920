// policies.js — owns the government console's "惠企政策" view (#gov-policies): the list of
// policies (filtered by type, with or without ended ones, page by page; each row opens
// #gov-policy/<id>) and the "发布政策" form, whose eligibility rule is checked as it is typed
// (rule_editor.js) and whose every field shows the server's message next to it.

import { graphql } from "../api.js";
import { chinaToday } from "../dates.js";
import { checkboxField, splitList } from "../fields.js";
import { buildField, formErrorSlot, readForm, showUserErrors, submitForm } from "../form.js";
import { formatDate, formatDateTime } from "../format.js";
import { POLICY_STATE, POLICY_TYPE_LABELS, statusBadge } from "../statuses.js";
import { card, el, loadInto } from "../ui.js";
import { connectionPage, pagedTable } from "../widgets.js";
import { GOV_TABLE, filterForm, formActions, statusLine, toggleButton } from "./gov_shared.js";
import { ruleEditor } from "./rule_editor.js";

const PAGE_SIZE = 20;
const POLICY_FIELDS = "id code title policyType policyTypeLabel issuer regionNames validFrom validUntil status pushedAt";
const LIST = `query GovPolicies($first: Int!, $after: String, $policyType: PolicyType, $includeEnded: Boolean!) {
  policies(first: $first, after: $after, policyType: $policyType, includeEnded: $includeEnded) {
    items { ${POLICY_FIELDS} }
    pageInfo { hasNextPage endCursor }
  }
}`;
const PUBLISH = `mutation PublishPolicy($input: PublishPolicyInput!) {
  publishPolicy(input: $input) { policy { id title } errors { code field message } }
}`;
const EXAMPLE_RULE = {
  all: [
    { fact: "region_code", op: "within_region", value: ["3713"] },
    { fact: "size_class", op: "in", value: ["micro", "small"] },
  ],
};

/** The policy's state today in China, a code of POLICY_STATE: WITHDRAWN, EXPIRED, UPCOMING or ACTIVE. */
export function policyState(policy, today = chinaToday()) {
  if (policy.status === "WITHDRAWN") return "WITHDRAWN";
  if (policy.validUntil < today) return "EXPIRED";
  if (policy.validFrom > today) return "UPCOMING";
  return "ACTIVE";
}

function validityCell(policy) {
  return el(
    "span",
    {},
    el("span", { class: "nowrap" }, `${formatDate(policy.validFrom)} 至`),
    " ",
    el("span", { class: "nowrap" }, formatDate(policy.validUntil)),
  );
}

/** Draw the policies view into `container`. */
export async function render(container, context) {
  const status = statusLine();
  const listBox = el("div");
  const formSlot = el("div", { hidden: true });
  const view = { status, listBox, formSlot, context, filters: { policyType: null, includeEnded: false } };
  view.opener = toggleButton("发布政策", formSlot, () => formSlot.querySelector("input")?.focus());
  formSlot.append(publishCard(view));
  container.replaceChildren(
    status.node,
    el("div", { class: "gov-toolbar" }, view.opener),
    formSlot,
    card("政策列表", "gov-card", policyFilters(view), listBox),
  );
  await loadList(view);
}

function policyFilters(view) {
  const type = buildField({
    name: "policyType",
    label: "政策类型",
    type: "select",
    options: [["", "全部类型"], ...Object.entries(POLICY_TYPE_LABELS)],
  });
  const ended = checkboxField({
    name: "includeEnded",
    label: "含已结束（已撤回、已过期）",
    className: "field field-checkbox",
  });
  return filterForm([type, ended], (values) => {
    view.filters = { policyType: values.policyType || null, includeEnded: values.includeEnded };
    loadList(view);
  });
}

async function fetchPage(view, after) {
  const variables = { first: PAGE_SIZE, after, ...view.filters };
  return connectionPage((await graphql(LIST, variables)).policies);
}

function loadList(view) {
  return loadInto(
    view.listBox,
    () => fetchPage(view, null),
    (first) =>
      pagedTable({
        ...GOV_TABLE,
        caption: "政策列表",
        columns: COLUMNS,
        first,
        fetchPage: (after) => fetchPage(view, after),
        empty: "没有符合筛选条件的政策。",
      }),
  );
}

const COLUMNS = [
  { label: "政策代码", rowHeader: true, cell: (row) => (row.code ? el("span", { class: "mono" }, row.code) : null), className: "gov-code" },
  { label: "标题", cell: (row) => el("a", { href: `#gov-policy/${encodeURIComponent(row.id)}` }, row.title), className: "gov-title" },
  { label: "类型", cell: (row) => row.policyTypeLabel, className: "nowrap" },
  { label: "发布单位", cell: (row) => row.issuer },
  { label: "适用地区", cell: (row) => (row.regionNames.length > 0 ? row.regionNames.join("、") : "全国") },
  { label: "有效期", cell: validityCell },
  { label: "状态", cell: (row) => statusBadge(POLICY_STATE, policyState(row)), className: "nowrap" },
  { label: "推送时间", cell: (row) => (row.pushedAt ? formatDateTime(row.pushedAt) : "未推送") },
];

function titleField() {
  return buildField({ name: "title", label: "政策标题", required: true, hint: "4 到 200 个字。", attributes: { maxlength: "200" } });
}

function textFields(context) {
  return [
    buildField({
      name: "policyType",
      label: "政策类型",
      type: "select",
      options: [["", "请选择政策类型"], ...Object.entries(POLICY_TYPE_LABELS)],
      required: true,
      requiredMessage: "请选择政策类型",
    }),
    buildField({
      name: "issuer",
      label: "发布单位",
      required: true,
      value: context.me?.department ?? null,
      hint: "2 到 100 个字。",
      attributes: { maxlength: "100" },
    }),
    buildField({
      name: "code",
      label: "政策代码（可选）",
      hint: "唯一，字母、数字或 _ . -，如 LY-FIRST-LOAN-2027。",
      attributes: { maxlength: "60", class: "mono", autocomplete: "off", spellcheck: "false" },
    }),
  ];
}

function scopeFields() {
  const today = chinaToday();
  return [
    buildField({
      name: "regionCodes",
      label: "适用地区（可选）",
      hint: "2、4 或 6 位行政区划代码，多个用逗号分隔，如 3713；不填为全国。",
      attributes: { inputmode: "numeric", autocomplete: "off" },
    }),
    buildField({ name: "validFrom", label: "生效日期（可选）", type: "date", hint: "不填为今天。", attributes: { min: "2000-01-01" } }),
    buildField({
      name: "validUntil",
      label: "有效期至",
      type: "date",
      required: true,
      hint: "不早于今天，最长 10 年。",
      attributes: { min: today },
    }),
  ];
}

function publishCard(view) {
  const editor = ruleEditor({
    name: "eligibility",
    label: "适用条件（规则，JSON）",
    value: EXAMPLE_RULE,
    hint:
      "政策推送给满足全部条件的企业；数据缺失的企业不推送。" +
      '例：注册地在临沂市 {"fact": "region_code", "op": "within_region", "value": ["3713"]}。输入时自动检查。',
  });
  const form = el("form", { class: "form", novalidate: true }, formErrorSlot());
  form.append(
    titleField(),
    el("div", { class: "gov-form-grid" }, textFields(view.context)),
    buildField({
      name: "summary",
      label: "政策摘要",
      type: "textarea",
      required: true,
      hint: "10 到 500 个字，是推送消息的开头。",
      attributes: { rows: "3", maxlength: "500" },
    }),
    buildField({
      name: "body",
      label: "政策全文",
      type: "textarea",
      required: true,
      hint: "10 到 20000 个字。",
      attributes: { rows: "8", maxlength: "20000" },
    }),
    el("div", { class: "gov-form-grid" }, scopeFields()),
    editor.node,
    formActions({ label: "发布", busyText: "正在发布…", onCancel: () => view.opener.click() }),
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    submitForm(form, () => publish(form, editor, view));
  });
  const note = el("p", { class: "hint" }, "发布后不会通知任何企业；在政策详情中推送后，符合条件的企业才会收到消息。");
  return card("发布政策", "gov-card", note, form);
}

/** Errors about a node inside the rule (eligibility.all[0].value) go under the rule field. */
function ruleErrorsOnRuleField(errors) {
  return errors.map((error) =>
    error.field?.startsWith("eligibility.")
      ? { ...error, field: "eligibility", message: `${error.field}：${error.message}` }
      : error,
  );
}

async function publish(form, editor, view) {
  const values = readForm(form);
  const rule = editor.read();
  if (rule === null) {
    await editor.check();
    form.querySelector('[name="eligibility"]').focus();
    return;
  }
  const input = {
    title: values.title,
    policyType: values.policyType,
    issuer: values.issuer,
    summary: values.summary,
    body: values.body,
    eligibility: rule,
    regionCodes: splitList(values.regionCodes),
    validFrom: values.validFrom || null,
    validUntil: values.validUntil,
    code: values.code || null,
  };
  const payload = (await graphql(PUBLISH, { input })).publishPolicy;
  if (payload.errors.length > 0) {
    showUserErrors(form, ruleErrorsOnRuleField(payload.errors));
    return;
  }
  const policy = payload.policy;
  view.opener.click();
  view.formSlot.replaceChildren(publishCard(view)); // a fresh, empty form for the next one
  view.status.show(
    `已发布政策“${policy.title}”。推送后符合条件的企业才会收到消息。`,
    "ok",
    " ",
    el("a", { href: `#gov-policy/${encodeURIComponent(policy.id)}` }, "查看并推送"),
  );
  await loadList(view);
}
