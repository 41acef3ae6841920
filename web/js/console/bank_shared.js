// bank_shared.js — owns what the bank console's views (products, product_edit, applications,
// demands, alerts) share: the look of their tables (BANK_TABLE), a paged table that reloads
// with its filters and a list view filtered by status, reading the 万元, % and month numbers typed in its forms, the server's rate
// messages for percentage fields, a firm's name over its code, the filter bar and the dialogs.

import { decimalPlaces, isDecimal, shiftDecimal } from "../amounts.js";
import { showError } from "../form.js";
import { statusOptions } from "../statuses.js";
import { el, loadInto, uniqueId } from "../ui.js";
import { pagedTable } from "../widgets.js";

/** The bank console's table look: options for dataTable and pagedTable (widgets.js). */
export const BANK_TABLE = { tableClass: "bank-table", wrapClass: "bank-table-wrap", moreClass: "bank-more" };

// --- numbers typed in forms -------------------------------------------------------------------

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
  if (!isDecimal(value)) {
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

// --- tables ---------------------------------------------------------------------------------

/** A main line with a smaller second line under it (e.g. a firm's name and its code). */
export function twoLines(main, sub, { mono = false } = {}) {
  return [
    el("span", { class: "bank-main" }, main),
    sub ? el("span", { class: `bank-sub${mono ? " mono" : ""}` }, sub) : null,
  ];
}

const STALE = Symbol("stale");

/**
 * loadInto for a list that reloads as filters change: latestLoader(container) returns
 * load(fetch, render); only the latest call draws, so a slow earlier answer never replaces it.
 */
function latestLoader(container) {
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

/**
 * A paged table in `results` that is drawn again as its filters change: filteredTable(results,
 * {caption, columns() → the columns, fetchPage(cursor) → {items, next} under the current
 * filters, empty() → the text for no rows}) returns reload(); only the latest reload draws.
 */
export function filteredTable(results, { caption, columns, fetchPage, empty }) {
  const load = latestLoader(results);
  return () =>
    load(
      () => fetchPage(null),
      (first) => pagedTable({ ...BANK_TABLE, caption, columns: columns(), first, fetchPage, empty: empty() }),
    );
}

/**
 * A list view filtered by status: statusFilteredList(container, {caption, statuses (a status
 * table of statuses.js), columns(reload) → the columns, fetchPage(status, cursor) → {items,
 * next}, empty(status) → the text for no rows, actions (nodes for the bar)}). Draws the bar with
 * its "状态" filter and the paged table, drawn again when the filter changes.
 */
export async function statusFilteredList(container, { caption, statuses, columns, fetchPage, empty, actions = [] }) {
  let status = "";
  const results = el("div", { class: "bank-results" });
  const reload = filteredTable(results, {
    caption,
    columns: () => columns(reload),
    fetchPage: (after) => fetchPage(status, after),
    empty: () => empty(status),
  });
  const filter = filterSelect({
    label: "状态",
    options: statusOptions(statuses),
    onChange: (value) => {
      status = value;
      reload();
    },
  });
  container.replaceChildren(toolbar([filter], actions), results);
  await reload();
}

// --- toolbar --------------------------------------------------------------------------------

/** A labelled select for a filter bar; `onChange(value)` on every change. */
function filterSelect({ label, options, value = "", onChange }) {
  const id = uniqueId("filter");
  const select = el(
    "select",
    { id, onchange: () => onChange(select.value) },
    options.map(([optionValue, text]) => el("option", { value: optionValue }, text)),
  );
  select.value = value;
  return el("div", { class: "bank-filter" }, el("label", { for: id }, label), select);
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
