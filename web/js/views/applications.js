// applications.js — owns the "我的申请" view (#applications): the enterprise's loan applications
// with their status in Chinese, the institution's decision (approved amount, rate and term, or
// the reason), the loan once disbursed, and withdrawing an application not yet disbursed.

import { graphql } from "../api.js";
import { formatAmount, formatDate, formatDateTime, formatMonths, formatRate, formatYuan } from "../format.js";
import { LOAN_STATUS, MY_APPLICATION_STATUS, statusBadge, statusLabel } from "../statuses.js";
import { card, el, emptyState, facts, loadInto } from "../ui.js";
import { actions, confirmMutation, itemArticle, showWithNotice } from "./finance_common.js";

const WITHDRAWABLE = new Set(["SUBMITTED", "APPROVED"]);

const MY_APPLICATIONS = `query MyApplications {
  myApplications {
    id status productName institutionName product { id } demand { id amount termMonths }
    requestedAmount requestedTermMonths approvedAmount annualRate approvedTermMonths decisionReason
    authorizationId createdAt decidedAt
    loan { amount annualRate termMonths disbursedOn isCreditLoan status statusOn }
  }
}`;

const WITHDRAW = `mutation Withdraw($id: ID!) {
  withdrawApplication(id: $id) { application { id status } errors { code field message } }
}`;

/** Draw #applications. */
export async function render(container) {
  const listArea = el("div");
  showWithNotice(container, card("申请记录", "fin-card", listArea));
  await loadInto(
    listArea,
    async () => (await graphql(MY_APPLICATIONS)).myApplications,
    (applications) => applicationList(applications, () => render(container)),
  );
}

function applicationList(applications, reload) {
  if (applications.length === 0) {
    return [
      emptyState("您还没有申请贷款产品。"),
      el("p", {}, el("a", { class: "btn btn-primary", href: "#matches" }, "查看匹配的产品")),
    ];
  }
  return el(
    "ul",
    { class: "fin-list", "aria-label": "申请列表" },
    applications.map((application) => el("li", {}, applicationItem(application, reload))),
  );
}

function requested(application) {
  const parts = [];
  if (application.requestedAmount !== null) parts.push(formatAmount(application.requestedAmount));
  if (application.requestedTermMonths !== null) parts.push(formatMonths(application.requestedTermMonths));
  return parts.length > 0 ? parts.join("，") : "由机构审批时确定";
}

function decisionFacts(application) {
  const { status } = application;
  if (status === "APPROVED" || status === "DISBURSED" || status === "CLOSED") {
    return [
      ["批准金额", application.approvedAmount !== null ? formatYuan(application.approvedAmount) : null],
      ["批准年利率", application.annualRate !== null ? formatRate(application.annualRate) : null],
      ["批准期限", application.approvedTermMonths !== null ? formatMonths(application.approvedTermMonths) : null],
      ["审批时间", application.decidedAt ? formatDateTime(application.decidedAt) : null],
    ];
  }
  if (status === "REJECTED") {
    return [
      ["未获批准原因", application.decisionReason || "机构未说明"],
      ["审批时间", application.decidedAt ? formatDateTime(application.decidedAt) : null],
    ];
  }
  return [];
}

function loanFacts(loan) {
  if (!loan) return [];
  return [
    ["放款金额", formatYuan(loan.amount)],
    ["放款日期", formatDate(loan.disbursedOn)],
    ["贷款方式", loan.isCreditLoan ? "信用贷款" : "抵押/担保贷款"],
    ["履约状态", `${statusLabel(LOAN_STATUS, loan.status)}（${formatDate(loan.statusOn)}）`],
  ];
}

function applicationItem(application, reload) {
  const note = application.status === "SUBMITTED" ? el("p", { class: "hint" }, "金融机构正在审批，结果会通过“消息”通知您。") : null;
  return itemArticle(
    {
      title: el("a", { href: `#product/${application.product.id}` }, application.productName),
      badge: statusBadge(MY_APPLICATION_STATUS, application.status),
    },
    facts([
      ["金融机构", application.institutionName],
      ["申请金额与期限", requested(application)],
      ["申请时间", formatDateTime(application.createdAt)],
      ...decisionFacts(application),
      ...loanFacts(application.loan),
      ["依据的授权", application.authorizationId ? `授权编号 ${application.authorizationId}（可在“授权管理”中查看）` : null],
    ]),
    note,
    WITHDRAWABLE.has(application.status) ? actions(withdrawButton(application, reload)) : null,
  );
}

function withdrawButton(application, reload) {
  return confirmMutation({
    label: "撤回申请",
    question: `撤回后 ${application.institutionName} 将不再办理这笔申请，如需贷款须重新申请。确定撤回吗？`,
    confirmText: "确认撤回",
    busyText: "正在撤回…",
    mutate: async () => (await graphql(WITHDRAW, { id: application.id })).withdrawApplication,
    notice: `已撤回「${application.productName}」的申请。`,
    reload,
  });
}
