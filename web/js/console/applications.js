// applications.js — owns the bank console's "贷款申请" view: applications to the institution in
// a table filtered by status (#bank-applications), and one application (#bank-applications/<id>)
// with the firm, what it authorised the bank to see (its credit report on request), and the
// decision: approve with amount (万元), rate (%) and term, or reject with a reason; then the
// disbursement.

import { percent, wan, yuanToWan } from "../amounts.js";
import { ApiError, graphql } from "../api.js";
import { chinaToday, formatDay } from "../dates.js";
import { checkboxField } from "../fields.js";
import { buildField, formErrorSlot, readForm, showUserErrors, submitForm } from "../form.js";
import { formatAmount, formatDate, formatDateTime, formatMonths } from "../format.js";
import {
  ACCESS_PURPOSE_LABELS,
  APPLICATION_STATUS,
  LOAN_STATUS,
  SIZE_CLASS_LABELS,
  statusBadge,
} from "../statuses.js";
import { backLink, card, el, emptyState, errorMessage, facts, loadInto, showLoading, withBusyButton } from "../ui.js";
import { connectionPage, dataTable } from "../widgets.js";
import { BANK_TABLE, focusInvalid, forPercentFields, readNumber, statusFilteredList, twoLines } from "./bank_shared.js";

const PAGE_SIZE = 50;
const RECORDS_SHOWN = 12;
const HIDDEN_RECORD_FIELDS = new Set(["uscc", "name"]);

const LIST = `query BankApplications($status: ApplicationStatus, $after: String, $first: Int!) {
  applications(status: $status, first: $first, after: $after) {
    items {
      id status productName createdAt requestedAmount requestedTermMonths
      enterprise { name uscc }
    }
    pageInfo { hasNextPage endCursor }
  }
}`;
const DETAIL = `query BankApplication($id: ID!) {
  application(id: $id) {
    id status productName productVersion createdAt decidedAt
    requestedAmount requestedTermMonths approvedAmount annualRate approvedTermMonths
    decisionReason referralConsent authorizationId
    enterprise {
      name uscc entityTypeLabel regionName industryCode sizeClass establishedOn
      registeredCapital legalRepName legalRepIdNumberMasked
    }
    product {
      id productType version minAmount maxAmount minTermMonths maxTermMonths
      minAnnualRate maxAnnualRate requiredScopeLabels
    }
    demand { amount termMonths purpose }
    loan { id amount annualRate termMonths disbursedOn isCreditLoan isFirstLoan status statusOn }
  }
}`;
const DECIDE = `mutation DecideApplication($input: DecideApplicationInput!) {
  decideApplication(input: $input) { application { id status } errors { code field message } }
}`;
const DISBURSE = `mutation RecordDisbursement($input: RecordDisbursementInput!) {
  recordDisbursement(input: $input) { loan { id } errors { code field message } }
}`;
const REPORT = `query LoanApprovalReport($uscc: String!) {
  enterpriseCreditReport(uscc: $uscc, purpose: LOAN_APPROVAL) {
    report {
      evaluation { score grade version }
      records { id category categoryLabel fields source occurredOn }
      truncated coveredScopes validUntil generatedAt
    }
    errors { code field message }
  }
  sharingList { categories { code label fields { name label } } }
  grantableScopes { code label }
}`;

// --- the list --------------------------------------------------------------------------------

async function fetchPage(status, after) {
  const data = await graphql(LIST, { status: status || null, after, first: PAGE_SIZE });
  return connectionPage(data.applications);
}

function detailHash(application) {
  return `#bank-applications/${encodeURIComponent(application.id)}`;
}

function firmCell(a) {
  return twoLines(el("a", { href: detailHash(a) }, a.enterprise.name), a.enterprise.uscc, { mono: true });
}

function openLink(a) {
  const verb = a.status === "SUBMITTED" ? "审批" : "查看";
  const label = `${verb}${a.enterprise.name}的申请`;
  return el("a", { class: "btn btn-small btn-secondary", href: detailHash(a), "aria-label": label }, verb);
}

const LIST_COLUMNS = [
  { label: "企业", rowHeader: true, cell: firmCell },
  { label: "产品", cell: (a) => a.productName },
  { label: "申请金额（万元）", className: "num", cell: (a) => wan(a.requestedAmount) },
  { label: "期限", className: "nowrap", cell: (a) => formatMonths(a.requestedTermMonths) },
  { label: "提交日期", className: "nowrap", cell: (a) => formatDay(a.createdAt) },
  { label: "状态", cell: (a) => statusBadge(APPLICATION_STATUS, a.status) },
  { label: "操作", cell: openLink },
];

async function renderList(container) {
  await statusFilteredList(container, {
    caption: "本机构收到的贷款申请",
    statuses: APPLICATION_STATUS,
    columns: () => LIST_COLUMNS,
    fetchPage,
    empty: (status) => (status ? "没有该状态的申请。" : "还没有收到贷款申请。"),
  });
}

// --- one application -------------------------------------------------------------------------

/** The application `id` to this institution (null when it is not one of ours). */
async function findApplication(id) {
  try {
    return (await graphql(DETAIL, { id })).application;
  } catch (error) {
    if (error instanceof ApiError && error.code === "NOT_FOUND") return null;
    throw error;
  }
}

function applicationCard(a) {
  const approved = a.approvedAmount !== null;
  return card(
    "申请信息",
    "bank-detail-card",
    facts([
      ["状态", statusBadge(APPLICATION_STATUS, a.status)],
      ["申请编号", a.id, { mono: true }],
      ["产品", `${a.productName}（申请时为第 ${a.productVersion} 版）`],
      ["申请金额", formatAmount(a.requestedAmount)],
      ["申请期限", formatMonths(a.requestedTermMonths)],
      ["融资用途", a.demand ? a.demand.purpose : null],
      ["提交时间", formatDateTime(a.createdAt)],
      ["批准金额", approved ? formatAmount(a.approvedAmount) : null],
      ["批准年利率", approved ? percent(a.annualRate) : null],
      ["批准期限", approved ? formatMonths(a.approvedTermMonths) : null],
      ["审批意见", a.decisionReason],
      ["审批时间", a.decidedAt ? formatDateTime(a.decidedAt) : null],
      ["未获批准时推荐其他产品", a.referralConsent ? "企业同意" : "企业未同意"],
    ]),
  );
}

function enterpriseCard(e) {
  return card(
    "申请企业",
    "bank-detail-card",
    facts([
      ["企业名称", e.name],
      ["统一社会信用代码", e.uscc, { mono: true }],
      ["主体类型", e.entityTypeLabel],
      ["登记地", e.regionName || "—"],
      ["行业代码", e.industryCode || "—", { mono: true }],
      ["企业规模", SIZE_CLASS_LABELS[e.sizeClass] ?? "暂无数据"],
      ["成立日期", formatDate(e.establishedOn)],
      ["注册资本", e.registeredCapital ? formatAmount(e.registeredCapital) : "—"],
      ["法定代表人", e.legalRepName],
      ["法定代表人身份证号码", e.legalRepIdNumberMasked, { mono: true }],
    ]),
  );
}

function fieldValue(value) {
  if (value === true) return "是";
  if (value === false) return "否";
  if (value === null || value === undefined || value === "") return "—";
  return typeof value === "object" ? JSON.stringify(value) : String(value);
}

function recordText(record, labels) {
  return Object.entries(record.fields ?? {})
    .filter(([name]) => !HIDDEN_RECORD_FIELDS.has(name))
    .map(([name, value]) => `${labels.get(name) ?? name}：${fieldValue(value)}`)
    .join("；");
}

function reportView(report, sharing, scopes) {
  const categories = new Map(sharing.categories.map((c) => [c.code, c]));
  const scopeLabels = new Map(scopes.map((s) => [s.code, s.label]));
  const groups = new Map();
  for (const record of report.records) {
    if (!groups.has(record.category)) groups.set(record.category, []);
    groups.get(record.category).push(record);
  }
  const sections = [...groups.entries()].map(([code, records]) => {
    const labels = new Map((categories.get(code)?.fields ?? []).map((f) => [f.name, f.label]));
    const title = `${records[0].categoryLabel}（${records.length} 条）`;
    return el(
      "section",
      { class: "bank-report-group" },
      el("h3", {}, title),
      dataTable({
        ...BANK_TABLE,
        caption: title,
        columns: [
          { label: "日期", className: "nowrap", cell: (r) => formatDate(r.occurredOn) },
          { label: "内容", cell: (r) => recordText(r, labels) },
          { label: "来源", cell: (r) => r.source },
        ],
        rows: records.slice(0, RECORDS_SHOWN),
      }).node,
      records.length > RECORDS_SHOWN ? el("p", { class: "hint" }, `仅显示最近 ${RECORDS_SHOWN} 条。`) : null,
    );
  });
  const evaluation = report.evaluation;
  return [
    facts([
      ["信用评价", `${evaluation.score} 分，${evaluation.grade} 级（评分卡 ${evaluation.version}）`],
      ["授权范围", report.coveredScopes.map((s) => scopeLabels.get(s) ?? s).join("、") || "仅公开信息"],
      ["授权有效至", formatDateTime(report.validUntil)],
      ["生成时间", formatDateTime(report.generatedAt)],
    ]),
    report.truncated ? el("p", { class: "hint" }, "记录较多，报告只含最近 1000 条。") : null,
    sections.length > 0 ? sections : emptyState("报告中没有信用记录。"),
  ];
}

function alertText(message) {
  return el("p", { class: "notice notice-error", role: "alert" }, message);
}

/** Ask for the firm's credit report (purpose 贷中审批) and show it in `output`. */
async function showReport(a, button, output) {
  showLoading(output, "正在生成信用报告…");
  let data;
  try {
    data = await withBusyButton(button, "正在查询…", () => graphql(REPORT, { uscc: a.enterprise.uscc }));
  } catch (error) {
    output.removeAttribute("aria-busy");
    output.replaceChildren(alertText(errorMessage(error)));
    return;
  }
  output.removeAttribute("aria-busy");
  const payload = data.enterpriseCreditReport;
  if (payload.errors.length > 0) {
    output.replaceChildren(alertText(payload.errors.map((e) => e.message).join("；")));
    return;
  }
  const nodes = reportView(payload.report, data.sharingList, data.grantableScopes);
  output.replaceChildren(...nodes.flat().filter(Boolean));
}

function sharedCard(a) {
  const output = el("div", { class: "bank-report", "aria-live": "polite" });
  const button = el("button", { type: "button", class: "btn btn-secondary" }, "查询信用报告（贷中审批）");
  button.addEventListener("click", () => showReport(a, button, output));
  const labels = a.product.requiredScopeLabels;
  return card(
    "企业授权查询的信息",
    "bank-detail-card bank-wide-card",
    facts([
      ["授权范围", labels.length > 0 ? labels.join("、") : "该产品不需要企业授权非公开信息"],
      ["授权用途", ACCESS_PURPOSE_LABELS.LOAN_APPROVAL],
      ["授权编号", a.authorizationId, { mono: true }],
    ]),
    el("p", { class: "hint" }, "信用报告含公开信息及授权范围内的信息。每次查询都会记录，并向企业展示。"),
    button,
    output,
  );
}

function rangeHints(a) {
  const p = a.product;
  const note =
    p.version === a.productVersion ? "" : `（当前第 ${p.version} 版；审批以企业申请时的第 ${a.productVersion} 版为准）`;
  return {
    amount: `产品额度 ${wan(p.minAmount)}–${wan(p.maxAmount)} 万元${note}`,
    rate: `产品年利率 ${percent(p.minAnnualRate)}–${percent(p.maxAnnualRate)}，填百分数，如 4.35`,
    term: `产品期限 ${p.minTermMonths}–${p.maxTermMonths} 个月`,
  };
}

function decisionForm({ title, fields, submitText, busyText, submitClass, decide }) {
  const form = el(
    "form",
    { class: "bank-decision", novalidate: true, "aria-label": title },
    el("h3", {}, title),
    formErrorSlot(),
    fields,
    el("button", { type: "submit", class: `btn ${submitClass}`, "data-busy-text": busyText }, submitText),
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    submitForm(form, () => decide(form, readForm(form)));
  });
  return form;
}

async function sendDecision(form, input, done) {
  const payload = (await graphql(DECIDE, { input })).decideApplication;
  if (payload.errors.length > 0) {
    showUserErrors(form, forPercentFields(payload.errors));
    return;
  }
  await done(payload.application);
}

function inputAttributes(inputmode) {
  return { inputmode, autocomplete: "off" };
}

function approveForm(a, refresh) {
  const hints = rangeHints(a);
  return decisionForm({
    title: "批准",
    submitText: "批准申请",
    busyText: "正在提交…",
    submitClass: "btn-primary",
    fields: [
      buildField({
        name: "approvedAmount",
        label: "批准金额（万元）",
        value: yuanToWan(a.requestedAmount),
        hint: hints.amount,
        attributes: inputAttributes("decimal"),
      }),
      buildField({ name: "annualRate", label: "年利率（%）", hint: hints.rate, attributes: inputAttributes("decimal") }),
      buildField({
        name: "termMonths",
        label: "期限（月）",
        value: a.requestedTermMonths,
        hint: hints.term,
        attributes: inputAttributes("numeric"),
      }),
      buildField({
        name: "reason",
        label: "审批意见（可选，企业可见）",
        type: "textarea",
        attributes: { rows: "2", maxlength: "500" },
      }),
    ],
    decide: async (form, values) => {
      const approvedAmount = readNumber(form, "approvedAmount", values.approvedAmount, "wan");
      const annualRate = readNumber(form, "annualRate", values.annualRate, "percent");
      const termMonths = readNumber(form, "termMonths", values.termMonths, "months");
      if ([approvedAmount, annualRate, termMonths].includes(undefined)) {
        focusInvalid(form);
        return;
      }
      const terms = { approvedAmount, annualRate, termMonths, reason: values.reason || null };
      const said = `${formatAmount(approvedAmount)}，年利率 ${percent(annualRate)}，${formatMonths(termMonths)}`;
      await sendDecision(form, { applicationId: a.id, approve: true, ...terms }, () =>
        refresh(`已批准${a.enterprise.name}的申请：${said}。`),
      );
    },
  });
}

function rejectForm(a, refresh) {
  return decisionForm({
    title: "不予批准",
    submitText: "拒绝申请",
    busyText: "正在提交…",
    submitClass: "btn-secondary",
    fields: [
      buildField({
        name: "reason",
        label: "原因（企业可见）",
        type: "textarea",
        hint: "2 到 500 个字；企业同意时，平台会向其推荐其他匹配产品",
        attributes: { rows: "3", maxlength: "500" },
      }),
    ],
    decide: async (form, values) => {
      const input = { applicationId: a.id, approve: false, reason: values.reason || null };
      await sendDecision(form, input, () => refresh(`已拒绝${a.enterprise.name}的申请，企业会收到原因。`));
    },
  });
}

function decideCard(a, refresh) {
  const forms = el("div", { class: "bank-decide" }, approveForm(a, refresh), rejectForm(a, refresh));
  return card("审批", "bank-detail-card bank-wide-card", forms);
}

function disburseFields(a) {
  return [
    el(
      "div",
      { class: "bank-form-grid" },
      buildField({
        name: "amount",
        label: "放款金额（万元）",
        value: yuanToWan(a.approvedAmount),
        hint: `不超过批准金额 ${wan(a.approvedAmount)} 万元`,
        required: true,
        requiredMessage: "请填写放款金额",
        attributes: inputAttributes("decimal"),
      }),
      buildField({
        name: "disbursedOn",
        label: "放款日期",
        type: "date",
        value: chinaToday(),
        required: true,
        requiredMessage: "请填写放款日期",
      }),
    ),
    checkboxField({
      name: "isCreditLoan",
      label: "信用贷款（无抵押、无担保）",
      checked: a.product.productType === "CREDIT",
      className: "field bank-check",
    }),
  ];
}

async function sendDisbursement(form, a, refresh) {
  const values = readForm(form);
  const amount = readNumber(form, "amount", values.amount, "wan");
  if (amount === undefined) {
    focusInvalid(form);
    return;
  }
  const input = { applicationId: a.id, amount, disbursedOn: values.disbursedOn, isCreditLoan: values.isCreditLoan };
  const payload = (await graphql(DISBURSE, { input })).recordDisbursement;
  if (payload.errors.length > 0) {
    showUserErrors(form, payload.errors);
    return;
  }
  await refresh(`已登记放款 ${formatAmount(amount)}。`);
}

function disburseCard(a, refresh) {
  const form = el(
    "form",
    { class: "bank-decision", novalidate: true, "aria-label": "登记放款" },
    formErrorSlot(),
    disburseFields(a),
    el("button", { type: "submit", class: "btn btn-primary", "data-busy-text": "正在登记…" }, "登记放款"),
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    submitForm(form, () => sendDisbursement(form, a, refresh));
  });
  return card("登记放款", "bank-detail-card", el("p", { class: "hint" }, "放款后登记，平台据此判定首贷户。"), form);
}

function loanCard(loan) {
  return card(
    "贷款",
    "bank-detail-card",
    facts([
      ["履约状态", statusBadge(LOAN_STATUS, loan.status)],
      ["放款金额", formatAmount(loan.amount)],
      ["年利率", percent(loan.annualRate)],
      ["期限", formatMonths(loan.termMonths)],
      ["放款日期", formatDate(loan.disbursedOn)],
      ["信用贷款", loan.isCreditLoan ? "是" : "否"],
      ["首贷户", loan.isFirstLoan ? "是" : "否"],
      ["状态日期", formatDate(loan.statusOn)],
    ]),
  );
}

function drawDetail(a, refresh) {
  if (!a) return [backLink("#bank-applications", "返回申请列表"), emptyState("申请不存在，或不是本机构收到的申请。")];
  return [
    backLink("#bank-applications", "返回申请列表"),
    el("p", { class: "bank-detail-lead", tabindex: "-1" }, `${a.enterprise.name} · ${a.productName}`),
    el(
      "div",
      { class: "bank-detail-grid" },
      applicationCard(a),
      enterpriseCard(a.enterprise),
      sharedCard(a),
      a.status === "SUBMITTED" ? decideCard(a, refresh) : null,
      a.status === "APPROVED" && !a.loan ? disburseCard(a, refresh) : null,
      a.loan ? loanCard(a.loan) : null,
    ),
  ];
}

async function renderDetail(container, context, id) {
  const load = async (message) => {
    await loadInto(
      container,
      () => findApplication(id),
      (a) => drawDetail(a, load),
    );
    if (message) {
      context.flash(message);
      container.querySelector(".bank-detail-lead")?.focus(); // the form just used is gone
    }
  };
  await load(null);
}

/** Draw the list of applications, or one application when the hash names it. */
export async function render(container, context) {
  if (context.arg) await renderDetail(container, context, context.arg);
  else await renderList(container);
}
