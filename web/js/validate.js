// validate.js — owns quick, offline hints while typing: the check characters of the 统一社会信用代码
// (GB 32100-2015) and of the 居民身份证号码 (GB 11643-1999). The server checks again and decides;
// these only spare the user a round trip for an obvious typo.

const USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"; // no I, O, S, V, Z
const USCC_WEIGHTS = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28];
const ID_WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
const ID_CHECK = "10X98765432";

/** Upper-case and drop spaces, as the server does. */
export function normalizeCode(raw) {
  return String(raw ?? "").replace(/\s+/g, "").toUpperCase();
}

/**
 * A hint for a USCC being typed: {state: "empty" | "partial" | "complete" | "invalid", message}.
 * "complete" means the check character is right (the server still has the last word).
 */
export function usccHint(raw) {
  const code = normalizeCode(raw);
  if (!code) return { state: "empty", message: "" };
  // Same order of checks as the server, so its answer never contradicts this hint.
  if (code.length > 18) return { state: "invalid", message: `统一社会信用代码应为18位，实际为${code.length}位` };
  for (let i = 0; i < code.length; i += 1) {
    const ch = code[i];
    if (!USCC_ALPHABET.includes(ch)) {
      return {
        state: "invalid",
        message: `统一社会信用代码第${i + 1}位“${ch}”不是有效字符（只能是数字和大写字母，不使用I、O、S、V、Z）`,
      };
    }
    if (i >= 2 && i <= 7 && !/[0-9]/.test(ch)) {
      return {
        state: "invalid",
        message: `统一社会信用代码第${i + 1}位“${ch}”无效：第3至8位是行政区划代码，只能是数字`,
      };
    }
  }
  if (code.length < 18) return { state: "partial", message: `已输入${code.length}位，共18位` };
  let total = 0;
  for (let i = 0; i < 17; i += 1) total += USCC_ALPHABET.indexOf(code[i]) * USCC_WEIGHTS[i];
  const check = USCC_ALPHABET[(31 - (total % 31)) % 31];
  if (check !== code[17]) return { state: "invalid", message: "统一社会信用代码校验位不正确，请核对后重新输入" };
  return { state: "complete", message: "" };
}

/** A hint for an ID number being typed, in the same shape as usccHint. */
export function idNumberHint(raw) {
  const number = normalizeCode(raw);
  if (!number) return { state: "empty", message: "" };
  if (number.length > 18) return { state: "invalid", message: `身份证号码应为18位，实际为${number.length}位` };
  const firstBad = number.slice(0, 17).search(/[^0-9]/);
  if (firstBad >= 0) {
    return { state: "invalid", message: `身份证号码第${firstBad + 1}位“${number[firstBad]}”无效：前17位只能是数字` };
  }
  if (number.length < 18) return { state: "partial", message: `已输入${number.length}位，共18位` };
  if (!/[0-9X]/.test(number[17])) {
    return { state: "invalid", message: `身份证号码第18位“${number[17]}”无效：校验码只能是数字或X` };
  }
  let total = 0;
  for (let i = 0; i < 17; i += 1) total += Number(number[i]) * ID_WEIGHTS[i];
  if (ID_CHECK[total % 11] !== number[17]) {
    return { state: "invalid", message: "身份证号码校验码不正确，请核对后重新输入" };
  }
  return { state: "complete", message: "" };
}
