// format.js — owns how numbers and dates are written where people read them: amounts in 元 and
// 万元 with thousands separators, rates as percentages, dates as 2026年11月21日 (China time).

export { formatDate, formatDateTime } from "./labels.js";

const GROUPED = new Intl.NumberFormat("zh-CN", { maximumFractionDigits: 2 });
const GROUPED_CENTS = new Intl.NumberFormat("zh-CN", { minimumFractionDigits: 2, maximumFractionDigits: 2 });

function toNumber(value) {
  if (value === null || value === undefined || value === "") return null;
  const number = typeof value === "number" ? value : Number(value);
  return Number.isFinite(number) ? number : null;
}

/** 1234567.5 or "1234567.50" → "1,234,567.50 元". */
export function formatYuan(value) {
  const number = toNumber(value);
  return number === null ? "—" : `${GROUPED_CENTS.format(number)} 元`;
}

/** An amount in 元 → "500 万元" (≥ 1万) or "8,000 元" (below). */
export function formatAmount(value) {
  const number = toNumber(value);
  if (number === null) return "—";
  if (Math.abs(number) >= 10000) return `${GROUPED.format(number / 10000)} 万元`;
  return `${GROUPED.format(number)} 元`;
}

/** A range of amounts in 元: "10 万元 – 500 万元"; either end may be missing. */
export function formatAmountRange(low, high) {
  if (toNumber(low) === null && toNumber(high) === null) return "不限";
  if (toNumber(high) === null) return `${formatAmount(low)} 起`;
  if (toNumber(low) === null) return `最高 ${formatAmount(high)}`;
  return `${formatAmount(low)} – ${formatAmount(high)}`;
}

/** A yearly rate as a decimal fraction ("0.0435") → "4.35%". */
export function formatRate(value) {
  const number = toNumber(value);
  return number === null ? "—" : `${GROUPED.format(number * 100)}%`;
}

/** A whole count with separators: 1234567 → "1,234,567". */
export function formatCount(value) {
  const number = toNumber(value);
  return number === null ? "—" : GROUPED.format(number);
}

/** Months → "12个月". */
export function formatMonths(value) {
  return value === null || value === undefined ? "—" : `${value}个月`;
}

/** A range of months: "3–36个月", or "12个月" when both ends are the same. */
export function formatMonthsRange(low, high) {
  return low === high ? formatMonths(low) : `${low}–${high}个月`;
}
