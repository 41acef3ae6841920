// statuses.js — owns the Chinese names (and badge colours) of every status and code the page
// shows, for the enterprise's views and the console alike: applications, loans, demands,
// authorisations, objections and repair requests, declarations, products and product types,
// institutions, policies (types and states), push jobs, matches, risk severities, access
// purposes and kinds, message kinds, size classes, disclosures and the credit code; and the one
// statusBadge(table, code) that draws a status.
//
// A status table maps code → [label, badge kind] (kind "ok", "warn", "error" or "" for neutral);
// a label table maps code → label (read it with labels.js's label(table, code)).

import { badge } from "./ui.js";

// ---- statuses (code → [label, badge kind]) ----------------------------------------------------

/** ApplicationStatus, as the institution's staff read it. */
export const APPLICATION_STATUS = {
  SUBMITTED: ["待审批", "warn"],
  APPROVED: ["已批准", "ok"],
  REJECTED: ["未获批准", "error"],
  DISBURSED: ["已放款", "ok"],
  WITHDRAWN: ["已撤回", ""],
  CLOSED: ["已结清", ""],
};

/** ApplicationStatus, as the enterprise that applied reads it ("已提交" says its part is done). */
export const MY_APPLICATION_STATUS = { ...APPLICATION_STATUS, SUBMITTED: ["已提交，待审批", "warn"] };

/** LoanStatus (履约状态). */
export const LOAN_STATUS = {
  NORMAL: ["正常", "ok"],
  OVERDUE: ["逾期", "warn"],
  DEFAULT: ["违约", "error"],
  REPAID: ["已结清", ""],
};

/** DemandStatus of a financing demand. */
export const DEMAND_STATUS = {
  OPEN: ["开放中", "ok"],
  CLOSED: ["已关闭", ""],
};

/** AuthorizationStatus. */
export const AUTHORIZATION_STATUS = {
  ACTIVE: ["有效", "ok"],
  EXPIRED: ["已过期", ""],
  REVOKED: ["已撤销", "error"],
};

/** ObjectionStatus (as the API's enum and the statistics word them). */
export const OBJECTION_STATUS = {
  SUBMITTED: ["已受理待转交", "warn"],
  FORWARDED: ["已转交核查", ""],
  UPHELD: ["异议成立", "ok"],
  REJECTED: ["异议未予支持", "error"],
};

/** An objection not forwarded by its deadline (shown beside its status). */
export const OBJECTION_OVERDUE = { OVERDUE: ["已超期未转交", "error"] };

/** RepairStatus of a credit repair request. */
export const REPAIR_STATUS = {
  SUBMITTED: ["待审核", "warn"],
  APPROVED: ["已通过", "ok"],
  REJECTED: ["未通过", "error"],
};

/** DeclarationStatus (the API also sends each declaration's statusLabel, in the same words). */
export const DECLARATION_STATUS = {
  PENDING: ["待核查", "warn"],
  CONFIRMED: ["已核实", "ok"],
  REJECTED: ["未予采信", ""],
  FOUND_FALSE: ["失信承诺（经核查不实）", "error"],
};

/** ProductStatus of a loan product. */
export const PRODUCT_STATUS = {
  ACTIVE: ["在售", "ok"],
  PAUSED: ["已暂停", "warn"],
  RETIRED: ["已下架", ""],
};

/** InstitutionStatus (接入状态). */
export const INSTITUTION_STATUS = {
  ACTIVE: ["正常接入", "ok"],
  SUSPENDED: ["已暂停", "warn"],
  REVOKED: ["已退出", "error"],
};

/** A policy's state today (its status and validity dates; see console/policies.js policyState). */
export const POLICY_STATE = {
  WITHDRAWN: ["已撤回", "error"],
  EXPIRED: ["已过期", ""],
  UPCOMING: ["未生效", "warn"],
  ACTIVE: ["有效", "ok"],
};

/** PushJobStatus of a policy push job. */
export const PUSH_JOB_STATUS = {
  PENDING: ["待执行", ""],
  RUNNING: ["执行中", "warn"],
  DONE: ["已完成", "ok"],
  FAILED: ["失败", "error"],
};

/** MatchStatus of a product or policy match. */
export const MATCH_STATUS = {
  ELIGIBLE: ["符合", "ok"],
  UNKNOWN: ["数据不足", "warn"],
  INELIGIBLE: ["暂不符合", ""],
};

/** RiskSeverity of a post-loan risk alert. */
export const RISK_SEVERITY = {
  LOW: ["关注", ""],
  MEDIUM: ["较高", "warn"],
  HIGH: ["严重", "error"],
};

/** SharingCategory.disclosure of a category of credit records. */
export const DISCLOSURE = {
  public: ["公开", "ok"],
  authorised: ["需授权共享", ""],
};

/** Whether the enterprise's public credit code is on. */
export const CREDIT_CODE_STATUS = {
  ON: ["已开启", "ok"],
  OFF: ["未开启", ""],
};

// ---- codes (code → label) --------------------------------------------------------------------

/** ProductType, in the order the product form offers them. */
export const PRODUCT_TYPE_LABELS = {
  CREDIT: "信用贷",
  GUARANTEED: "担保贷",
  MORTGAGE: "抵押贷",
  PLEDGE: "质押贷",
};

/** PolicyType, in the order the policy form offers them. */
export const POLICY_TYPE_LABELS = {
  INTEREST_SUBSIDY: "贷款贴息",
  RISK_COMPENSATION: "风险补偿",
  GUARANTEE_FEE_SUBSIDY: "担保费补贴",
  FIRST_LOAN_REWARD: "首贷奖励",
  OTHER: "其他",
};

/** AccessPurpose of an authorisation or a data access. */
export const ACCESS_PURPOSE_LABELS = {
  PRE_LOAN: "贷前调查",
  LOAN_APPROVAL: "贷中审批",
  POST_LOAN: "贷后管理",
};

/** How an institution read the enterprise's data (DataAccess.kind). */
export const ACCESS_KIND_LABELS = {
  REPORT: "查看信用报告",
  BATCH: "公开信息批量推送",
  INTERFACE: "接口实时查询",
  IDENTITY: "查看法定代表人身份证号码",
};

/** InboxMessage.kind. */
export const MESSAGE_KIND_LABELS = {
  POLICY: "政策",
  RISK_ALERT: "风险提示",
  APPLICATION: "融资申请",
  OBJECTION: "异议与信用修复",
  SYSTEM: "系统通知",
};

/** An enterprise's size class. */
export const SIZE_CLASS_LABELS = { micro: "微型", small: "小型", medium: "中型", large: "大型" };

/** The severity of an administrative penalty (a code stored in the record's fields). */
export const PENALTY_SEVERITY_LABELS = { minor: "轻微", general: "一般", serious: "严重" };

// ---- drawing ---------------------------------------------------------------------------------

/**
 * The badge of `code` from a status table; `text` (e.g. the API's own statusLabel) replaces the
 * table's label when given. A code new to this page shows as it is, neutral.
 */
export function statusBadge(table, code, text = null) {
  const [label, kind] = table[code] ?? [code || "—", ""];
  return badge(text ?? label, kind);
}

/** The label of `code` from a status table (the code itself when it is new to this page). */
export function statusLabel(table, code) {
  return table[code]?.[0] ?? (code || "—");
}

/** [value, text] options of a status filter: `allText` ("全部") first, then every status. */
export function statusOptions(table, allText = "全部") {
  return [["", allText], ...Object.entries(table).map(([code, [text]]) => [code, text])];
}
