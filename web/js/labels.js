// labels.js — owns how codes and dates from the API are said in Chinese on this page
// (roles, entity types, institution kinds, dates in China time).

export const ROLE_LABELS = {
  ENTERPRISE: "企业用户",
  INSTITUTION: "机构用户",
  GOVERNMENT: "政府工作人员",
  DATA_PROVIDER: "数据提供方",
  AUDITOR: "审计员",
};

export const ENTITY_TYPE_LABELS = {
  enterprise: "企业",
  individual_business: "个体工商户",
  farmer_coop: "农民专业合作社",
  other: "其他组织",
};

export const INSTITUTION_KIND_LABELS = {
  BANK: "银行",
  GUARANTOR: "融资担保机构",
  INSURER: "保险机构",
  CREDIT_AGENCY: "征信机构",
};

/** The label for `code` in `table`, or the code itself when it is new to this page. */
export function label(table, code) {
  return (code && table[code]) || code || "—";
}

const DATE_TIME = new Intl.DateTimeFormat("zh-CN", {
  timeZone: "Asia/Shanghai",
  year: "numeric",
  month: "long",
  day: "numeric",
  hour: "2-digit",
  minute: "2-digit",
  hour12: false,
});

/** "2016-05-18" → "2016年5月18日" (a calendar date, no time zone involved). */
export function formatDate(value) {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value ?? "");
  if (!match) return value || "—";
  return `${match[1]}年${Number(match[2])}月${Number(match[3])}日`;
}

/** An ISO 8601 time → "2026年11月21日 13:42" in China time. */
export function formatDateTime(value) {
  const date = value ? new Date(value) : null;
  if (!date || Number.isNaN(date.getTime())) return value || "—";
  return DATE_TIME.format(date);
}
