// amounts.js — owns exact decimal amounts (no floating point): moving the decimal point of a
// decimal text, 元 ⇄ 万元 and fraction ⇄ percentage for forms and tables, and reading the
// amounts and whole numbers people type ("50", "50.5", "1,000").

const DECIMAL = /^(\d+)(?:\.(\d+))?$/;

/** True when `text` is a plain decimal ("12", "12.50"; no sign, no separators). */
export function isDecimal(text) {
  return DECIMAL.test(String(text ?? "").trim());
}

/** Decimal places of a plain decimal text ("12.50" → 2). */
export function decimalPlaces(text) {
  const match = DECIMAL.exec(String(text ?? "").trim());
  return match && match[2] ? match[2].length : 0;
}

/**
 * Move the decimal point of a plain decimal text by `places` without floating point:
 * ("12.5", 4) → "125000", ("4.35", -2) → "0.0435", ("3000000.00", -4) → "300". Null if not a number.
 */
export function shiftDecimal(text, places) {
  const match = DECIMAL.exec(String(text ?? "").trim());
  if (!match) return null;
  const whole = match[1];
  let digits = whole + (match[2] ?? "");
  let point = whole.length + places;
  if (point < 0) {
    digits = "0".repeat(-point) + digits;
    point = 0;
  }
  if (point > digits.length) digits += "0".repeat(point - digits.length);
  const intPart = digits.slice(0, point).replace(/^0+(?=\d)/, "") || "0";
  const fraction = digits.slice(point).replace(/0+$/, "");
  return fraction ? `${intPart}.${fraction}` : intPart;
}

/** 元 from the API ("3000000.00") → 万元 as typed in a form ("300"); "" for none. */
export function yuanToWan(value) {
  return value === null || value === undefined ? "" : shiftDecimal(value, -4) ?? "";
}

/** A fraction from the API ("0.0435") → a percentage as typed in a form ("4.35"); "" for none. */
export function fractionToPercent(value) {
  return value === null || value === undefined ? "" : shiftDecimal(value, 2) ?? "";
}

/** 元 → "300" (万元, with separators) for table cells under a "（万元）" heading; "—" for none. */
export function wan(value) {
  const text = yuanToWan(value);
  if (!text) return "—";
  const [whole, fraction] = text.split(".");
  const grouped = whole.replace(/\B(?=(\d{3})+(?!\d))/g, ",");
  return fraction ? `${grouped}.${fraction}` : grouped;
}

/** A fraction → "4.35%" (exact); "—" for none. */
export function percent(value) {
  const text = fractionToPercent(value);
  return text ? `${text}%` : "—";
}

/**
 * An amount typed by a person ("50", "50.5", "1,000") in 万元 (`unit` "wan") or 元 ("yuan") as a
 * string of 元 for the API ("505000"), or null when it is not a number at all. The server checks
 * the range and the 分.
 */
export function amountInYuan(text, unit) {
  const raw = String(text ?? "").replace(/[,，\s]/g, "");
  return shiftDecimal(raw, unit === "wan" ? 4 : 0);
}

/** A whole number typed by a person (up to six digits), or null when it is not one. */
export function wholeNumber(text) {
  const raw = String(text ?? "").trim();
  return /^\d{1,6}$/.test(raw) ? Number(raw) : null;
}
