// credit_common.js — owns what the enterprise's credit views (credit.js, records.js, declare.js,
// objections.js) share: the Chinese names of statuses and disclosures, dates in China time, the
// sharing list (field labels and types, loaded once), how a record's fields read, the records
// seen on this page (so #objections/<id> can show the record it is about), the commitment block
// with its required checkbox, and a reason box with a character counter.

import { graphql } from "../api.js";
import { formatCount, formatDate, formatYuan } from "../format.js";
import { badge, el, uniqueId } from "../ui.js";

/** SharingCategory.disclosure → Chinese. */
export const DISCLOSURE_LABELS = { public: "公开", authorised: "需授权共享" };

/** ObjectionStatus → [label, badge kind]. */
export const OBJECTION_STATUS = {
  SUBMITTED: ["已受理待转交", "warn"],
  FORWARDED: ["已转交核查", ""],
  UPHELD: ["异议成立", "ok"],
  REJECTED: ["未予支持", "error"],
};

/** RepairStatus → [label, badge kind]. */
export const REPAIR_STATUS = {
  SUBMITTED: ["待审核", "warn"],
  APPROVED: ["已通过", "ok"],
  REJECTED: ["未通过", "error"],
};

/** DeclarationStatus → badge kind (the label comes from the API's statusLabel). */
const DECLARATION_KIND = { PENDING: "warn", CONFIRMED: "ok", REJECTED: "", FOUND_FALSE: "error" };

// Enum values the sharing list stores as codes (the API gives no labels for them).
const ENUM_LABELS = { severity: { minor: "轻微", general: "一般", serious: "严重" } };

// Every record is the firm's own: its USCC and name would only repeat the header.
const HIDDEN_FIELDS = new Set(["uscc", "name"]);

/** Categories whose records can be repaired (信用修复管理办法: administrative penalties). */
export const REPAIRABLE = new Set(["admin_penalty"]);

const CHINA_DAY = new Intl.DateTimeFormat("zh-CN", {
  timeZone: "Asia/Shanghai",
  year: "numeric",
  month: "long",
  day: "numeric",
});

/** An ISO 8601 time → its calendar day in China time: "2026年11月21日". */
export function formatChinaDay(value) {
  const date = value ? new Date(value) : null;
  if (!date || Number.isNaN(date.getTime())) return value || "—";
  return CHINA_DAY.format(date);
}

/** A status badge from a [label, kind] table; unknown codes show as they are. */
export function statusBadge(table, code) {
  const [text, kind] = table[code] || [code, ""];
  return badge(text, kind);
}

/** The badge of a declaration (its statusLabel, coloured by status). */
export function declarationBadge(declaration) {
  return badge(declaration.statusLabel, DECLARATION_KIND[declaration.status] ?? "");
}

let sharingList = null;

/** The sharing list's categories by code ({code: {label, disclosure, fields}}), loaded once. */
export function loadSharingCategories() {
  sharingList ??= graphql(
    `query SharingList { sharingList { categories { code label disclosure fields { name label type } } } }`,
  ).then(
    (data) => Object.fromEntries(data.sharingList.categories.map((category) => [category.code, category])),
    (error) => {
      sharingList = null;
      throw error;
    },
  );
  return sharingList;
}

function formatMonth(value) {
  const match = /^(\d{4})-(\d{2})$/.exec(String(value));
  return match ? `${match[1]}年${Number(match[2])}月` : String(value);
}

/** One field value as people read it, by its sharing-list type. */
export function formatFieldValue(type, value, name) {
  if (value === null || value === undefined || value === "") return "—";
  if (ENUM_LABELS[name]?.[value]) return ENUM_LABELS[name][value];
  switch (type) {
    case "money":
      return formatYuan(value);
    case "date":
      return formatDate(String(value));
    case "month":
      return formatMonth(value);
    case "year":
      return `${value}年`;
    case "boolean":
      return value === true || value === "true" ? "是" : "否";
    case "integer":
    case "decimal":
      return formatCount(value);
    default:
      return typeof value === "object" ? JSON.stringify(value) : String(value);
  }
}

/** A record's fields as [label, text] rows, in the sharing list's order, unknown keys last. */
export function fieldRows(fields, category) {
  const specs = category ? category.fields : [];
  const known = new Set(specs.map((spec) => spec.name));
  const rows = specs
    .filter((spec) => spec.name in fields && !HIDDEN_FIELDS.has(spec.name))
    .map((spec) => [spec.label, formatFieldValue(spec.type, fields[spec.name], spec.name)]);
  for (const [name, value] of Object.entries(fields)) {
    if (!known.has(name) && !HIDDEN_FIELDS.has(name)) rows.push([name, formatFieldValue("", value, name)]);
  }
  return rows;
}

const seenRecords = new Map();

/** Keep a record shown on this page, so the objection form can show it again. */
export function rememberRecord(record) {
  seenRecords.set(String(record.id), record);
}

/** A record shown earlier on this page (null after a reload: the form then names it by id). */
export function rememberedRecord(id) {
  return seenRecords.get(String(id)) ?? null;
}

/**
 * The commitment in full with its required checkbox (name "acceptCommitment", so the server's
 * error lands next to it) and the accepted version in a hidden input "commitmentVersion".
 */
export function commitmentBlock(commitment, statement) {
  const textId = uniqueId("commitment-text");
  const boxId = uniqueId("commitment-accept");
  const errorId = `${boxId}-error`;
  const checkbox = el("input", {
    type: "checkbox",
    id: boxId,
    name: "acceptCommitment",
    required: true,
    "data-required-message": `须阅读并接受《${commitment.title}》后方可提交`,
    "aria-describedby": `${textId} ${errorId}`,
  });
  return el(
    "div",
    { class: "commitment" },
    el("h3", {}, commitment.title),
    el("div", { class: "commitment-text", id: textId }, commitment.text),
    el("p", { class: "hint" }, `版本 ${commitment.version}`),
    el("input", { type: "hidden", name: "commitmentVersion", value: commitment.version }),
    el(
      "div",
      { class: "field field-check" },
      el("label", { for: boxId, class: "check-label" }, checkbox, el("span", {}, statement)),
      el("p", { class: "field-error", id: errorId, "data-error-for": "acceptCommitment", role: "alert", hidden: true }),
    ),
  );
}

/** A reason textarea (name "reason", 5–1000 characters) with a live "已输入 n/1000 字" counter. */
export function reasonField(label, hint, requiredMessage) {
  const id = uniqueId("reason");
  const counter = el("p", { class: "hint counter", id: `${id}-count` }, "已输入 0/1000 字");
  const box = el("textarea", {
    id,
    name: "reason",
    required: true,
    maxlength: "1000",
    rows: "5",
    "data-required-message": requiredMessage,
    "aria-describedby": `${id}-hint ${id}-count ${id}-error`,
  });
  box.addEventListener("input", () => {
    counter.textContent = `已输入 ${box.value.trim().length}/1000 字`;
  });
  return el(
    "div",
    { class: "field" },
    el("label", { for: id }, label),
    box,
    el("p", { class: "hint", id: `${id}-hint` }, hint),
    counter,
    el("p", { class: "field-error", id: `${id}-error`, "data-error-for": "reason", role: "alert", hidden: true }),
  );
}

/**
 * A fresh element of its own inside `container` for one drawing of a view. A slower drawing of a
 * view already left (the router does not cancel it) then writes into its own detached element,
 * never over the view now shown.
 */
export function freshMount(container) {
  const mount = el("div", { class: "view-mount" });
  container.removeAttribute("aria-busy");
  container.replaceChildren(mount);
  return mount;
}
