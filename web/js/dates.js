// dates.js — owns days in China time where people read or pick them: the calendar day of a
// moment ("2026年11月21日"), today's date as a date input holds it ("2026-11-21"), and a span of
// calendar dates ("2026年1月1日 至 2028年12月31日").

import { formatDate } from "./format.js";

const CHINA_DAY = new Intl.DateTimeFormat("zh-CN", {
  timeZone: "Asia/Shanghai",
  year: "numeric",
  month: "long",
  day: "numeric",
});

// en-CA writes dates as 2026-11-21.
const ISO_DAY = new Intl.DateTimeFormat("en-CA", {
  timeZone: "Asia/Shanghai",
  year: "numeric",
  month: "2-digit",
  day: "2-digit",
});

/** An ISO 8601 time → its calendar day in China: "2026年11月21日" (the text itself if not a time). */
export function formatDay(value) {
  const date = value ? new Date(value) : null;
  if (!date || Number.isNaN(date.getTime())) return value || "—";
  return CHINA_DAY.format(date);
}

/** Today in China as "2026-11-21": a date input's value, comparable with the API's dates. */
export function chinaToday() {
  return ISO_DAY.format(new Date());
}

/** Two calendar dates ("2026-01-01", "2028-12-31") → "2026年1月1日 至 2028年12月31日". */
export function dateSpan(from, until) {
  return `${formatDate(from)} 至 ${formatDate(until)}`;
}
