// bank_shared.js — owns what the bank console's views (products, product_edit, applications,
// demands, alerts) share: status and code labels, exact 万元/% ⇄ 元/fraction conversion, the
// scrolling data table, the filter bar and the dialogs.

import { showError } from "../form.js";
import { badge, el, loadInto, uniqueId } from "../ui.js";

export const PRODUCT_TYPES = [
  ["CREDIT", "信用贷"],
  ["GUARANTEED", "担保贷"],
  ["MORTGAGE", "抵押贷"],
  ["PLEDGE", "质押贷"],
];

export const PRODUCT_STATUS = {
  ACTIVE: ["在售", "ok"],
  PAUSED: ["已暂停", "warn"],
  RETIRED: ["已下架", ""],
};

export const APPLICATION_STATUS = {
  SUBMITTED: ["待审批", "warn"],
  APPROVED: ["已批准", "ok"],
  REJECTED: ["未获批准", "error"],
  DISBURSED: ["已放款", "ok"],
  WITHDRAWN: ["已撤回", ""],
  CLOSED: ["已结清", ""],
};

export const LOAN_STATUS = {
  NORMAL: ["正常", "ok"],
  OVERDUE: ["逾期", "warn"],
  DEFAULT: ["违约", "error"],
  REPAID: ["已结清", ""],
};

export const SEVERITY = {
  LOW: ["关注", ""],
  MEDIUM: ["较高", "warn"],
  HIGH: ["严重", "error"],
};

export const SIZE_CLASSES = { micro: "微型", small: "小型", medium: "中型", large: "大型" };

/** A status badge from one of the tables above (unknown codes shown as they are). */
export function statusBadge(table, code) {
  const [text, kind] = table[code] ?? [code || "—", ""];
  return badge(text, kind);
}

/** [value, text] options for a status filter: "全部" first. */
export function statusOptions(table) {
  return [["", "全部"], ...Object.entries(table).map(([code, [text]]) => [code, text])];
}

// --- exact decimal text ---------------------------------------------------------------------

const DECIMAL = /^(\d+)(?:\.(\d+))?$/;

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

/** Decimal places of a plain decimal text ("12.50" → 2). */
function decimalPlaces(text) {
  const match = DECIMAL.exec(text);
  return match && match[2] ? match[2].length : 0;
}

/** 元 from the API ("3000000.00") → 万元 as typed in a form ("300"). */
export function yuanToWan(value) {
  return value === null || value === undefined ? "" : shiftDecimal(value, -4) ?? "";
}

/** A fraction from the API ("0.0435") → a percentage as typed in a form ("4.35"). */
export function fractionToPercent(value) {
  return value === null || value === undefined ? "" : shiftDecimal(value, 2) ?? "";
}

/** 元 → "300" (万元, with separators) for table cells under a "（万元）" heading. */
export function wan(value) {
  const text = yuanToWan(value);
  if (!text) return "—";
  const [whole, fraction] = text.split(".");
  const grouped = whole.replace(/\B(?=(\d{3})+(?!\d))/g, ",");
  return fraction ? `${grouped}.${fraction}` : grouped;
}

/** A fraction → "4.35%". */
export function percent(value) {
  const text = fractionToPercent(value);
  return text ? `${text}%` : "—";
}

/**
 * Read a number typed in a form field and convert it: kind "wan" (万元 → 元), "percent"
 * (% → fraction, 0 to 24) or "months" (a whole number). Empty gives null; a bad value shows its
 * message next to the field (`name`) and gives undefined.
 */
export function readNumber(form, name, text, kind) {
  const value = String(text ?? "").trim();
  if (value === "") return null;
  const fail = (message) => {
    showError(form, name, message);
    return undefined;
  };
  if (kind === "months") {
    if (!/^\d+$/.test(value)) return fail("请填写整数月数，如 12");
    return Number(value);
  }
  if (!DECIMAL.test(value)) {
    return fail(kind === "percent" ? "请填写百分数的数字，如 4.35" : "请填写以万元为单位的数字，如 50 或 0.5");
  }
  if (kind === "percent") {
    if (decimalPlaces(value) > 4) return fail("年利率最多保留四位小数（如 4.3512）");
    if (Number(value) > 24) return fail("年利率应在 0% 到 24% 之间");
    return shiftDecimal(value, -2);
  }
  if (decimalPlaces(value) > 6) return fail("金额最多精确到分（万元后六位小数）");
  return shiftDecimal(value, 4);
}

const RATE_FIELDS = new Set(["minAnnualRate", "maxAnnualRate", "annualRate"]);

/**
 * The server's messages for rate fields explain the API's fractions ("4.35% 填 0.0435"); these
 * forms take percentages, so that aside is dropped (the rest of the message stays as sent).
 */
export function forPercentFields(errors) {
  return errors.map((e) =>
    RATE_FIELDS.has(e.field) ? { ...e, message: e.message.replace(/（[^（）]*0\.0435[^（）]*）/g, "") } : e,
  );
}

/** Focus the first field marked invalid in `form` (after client-side checks). */
export function focusInvalid(form) {
  const bad = form.querySelector('[aria-invalid="true"]');
  if (bad) bad.focus();
}

/** Split a list typed in one field ("3713, 3714" or "纯信用、随借随还") into items. */
export function splitList(text) {
  return String(text ?? "")
    .split(/[\s,，、;；]+/)
    .map((item) => item.trim())
    .filter(Boolean);
}

// --- dates ----------------------------------------------------------------------------------

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

/** An ISO time → its day in China: "2026年11月21日". */
export function formatDay(value) {
  const date = value ? new Date(value) : null;
  if (!date || Number.isNaN(date.getTime())) return value || "—";
  return CHINA_DAY.format(date);
}

/** Today in China as "2026-11-21" (the value of a date input). */
export function chinaToday() {
  return ISO_DAY.format(new Date());
}

// --- tables ---------------------------------------------------------------------------------

/** A main line with a smaller second line under it (e.g. a firm's name and its code). */
export function twoLines(main, sub, { mono = false } = {}) {
  return [
    el("span", { class: "bank-main" }, main),
    sub ? el("span", { class: `bank-sub${mono ? " mono" : ""}` }, sub) : null,
  ];
}

function cellClass(column) {
  if (column.numeric) return "num";
  return column.nowrap ? "nowrap" : null;
}

function headerCell(column) {
  return el("th", { scope: "col", class: cellClass(column) }, column.label);
}

function bodyCell(column, row) {
  const header = Boolean(column.rowHeader);
  return el(header ? "th" : "td", { scope: header ? "row" : null, class: cellClass(column) }, column.cell(row));
}

/**
 * A table that scrolls sideways inside its own box (never the page):
 * dataTable({caption, columns: [{label, cell(row), numeric, nowrap, rowHeader}], rows}) returns
 * {node, append(rows)}. `caption` names the table for screen readers.
 */
export function dataTable({ caption, columns, rows }) {
  const body = el("tbody");
  const table = el(
    "table",
    { class: "bank-table" },
    el("caption", { class: "bank-caption" }, caption),
    el("thead", {}, el("tr", {}, columns.map(headerCell))),
    body,
  );
  const append = (items) => {
    for (const row of items) {
      body.append(
        el(
          "tr",
          {},
          columns.map((c) => bodyCell(c, row)),
        ),
      );
    }
  };
  append(rows);
  const wrapAttributes = { class: "table-wrap bank-table-wrap", tabindex: "0", role: "group", "aria-label": caption };
  const node = el("div", wrapAttributes, table);
  return { node, append };
}

/**
 * A list that pages: `fetchPage(after)` → {items, next}; draws the table of the first page with
 * a "加载更多" button while `next` is not null. Returns the nodes for loadInto.
 */
export function pagedTable({ caption, columns, first, fetchPage, empty }) {
  if (first.items.length === 0) return el("p", { class: "empty-state" }, empty);
  const table = dataTable({ caption, columns, rows: first.items });
  const status = el("p", { class: "bank-more-status", role: "status" });
  let next = first.next;
  const more = el("button", { type: "button", class: "btn btn-secondary bank-more" }, "加载更多");
  more.hidden = !next;
  more.addEventListener("click", async () => {
    more.disabled = true;
    more.setAttribute("aria-busy", "true");
    status.textContent = "正在加载…";
    try {
      const page = await fetchPage(next);
      table.append(page.items);
      next = page.next;
      status.textContent = `已加载 ${page.items.length} 条`;
    } catch (error) {
      status.textContent = error?.message || "加载失败，请重试";
    } finally {
      more.disabled = false;
      more.removeAttribute("aria-busy");
      more.hidden = !next;
    }
  });
  return [table.node, more, status];
}

const STALE = Symbol("stale");

/**
 * loadInto for a list that reloads as filters change: latestLoader(container) returns
 * load(fetch, render); only the latest call draws, so a slow earlier answer never replaces it.
 */
export function latestLoader(container) {
  let run = 0;
  return (fetch, render) => {
    const mine = ++run;
    const guarded = async () => {
      try {
        const data = await fetch();
        return mine === run ? data : STALE;
      } catch (error) {
        if (mine !== run) return STALE;
        throw error;
      }
    };
    return loadInto(container, guarded, (data) => (data === STALE ? [...container.childNodes] : render(data)));
  };
}

// --- toolbar --------------------------------------------------------------------------------

/** A labelled select for a filter bar; `onChange(value)` on every change. */
export function filterSelect({ label, options, value = "", onChange }) {
  const id = uniqueId("filter");
  const select = el(
    "select",
    { id, onchange: () => onChange(select.value) },
    options.map(([optionValue, text]) => el("option", { value: optionValue }, text)),
  );
  select.value = value;
  return el("div", { class: "bank-filter" }, el("label", { for: id }, label), select);
}

/** A labelled checkbox for a filter bar; `onChange(checked)` on every change. */
export function filterCheckbox({ label, checked = false, onChange }) {
  const id = uniqueId("filter");
  const box = el("input", { type: "checkbox", id, onchange: () => onChange(box.checked) });
  box.checked = checked;
  return el("div", { class: "bank-filter bank-filter-check" }, box, el("label", { for: id }, label));
}

/** The bar above a list: filters on the left, actions on the right. */
export function toolbar(filters, actions = []) {
  return el(
    "div",
    { class: "bank-toolbar" },
    el("div", { class: "bank-toolbar-filters" }, filters),
    el("div", { class: "bank-toolbar-actions" }, actions),
  );
}

// --- dialogs --------------------------------------------------------------------------------

/**
 * A modal dialog (native <dialog>): openDialog({title, content: [nodes]}) shows it and returns
 * {dialog, close()}; it is removed from the page when closed (Esc closes it too).
 */
export function openDialog({ title, content }) {
  const titleId = uniqueId("dialog-title");
  const heading = el("h2", { id: titleId }, title);
  const dialog = el("dialog", { class: "bank-dialog", "aria-labelledby": titleId }, heading, content);
  dialog.addEventListener("close", () => dialog.remove());
  document.body.append(dialog);
  dialog.showModal();
  return { dialog, close: () => dialog.close() };
}

/**
 * Ask before an action: confirmDialog({title, message, confirmText, danger}) resolves true when
 * the person confirms, false when they cancel or press Esc.
 */
export function confirmDialog({ title, message, confirmText = "确定", danger = false }) {
  return new Promise((resolve) => {
    let answer = false;
    const yesClass = `btn ${danger ? "bank-danger" : "btn-primary"}`;
    const yes = el("button", { type: "button", class: yesClass }, confirmText);
    const no = el("button", { type: "button", class: "btn btn-secondary" }, "取消");
    const { dialog, close } = openDialog({
      title,
      content: [el("p", {}, message), el("div", { class: "bank-dialog-actions" }, no, yes)],
    });
    yes.addEventListener("click", () => {
      answer = true;
      close();
    });
    no.addEventListener("click", close);
    dialog.addEventListener("close", () => resolve(answer));
    no.focus();
  });
}
