// credit_common.js — owns what the enterprise's credit views (credit.js, records.js, declare.js,
// objections.js) share: the sharing list (field labels and types, loaded once), how a record's
// fields read, the records seen on this page (so #objections/<id> can show the record it is
// about), the commitment block with its required checkbox, which categories can be repaired,
// and a fresh mount for each drawing of a view.

import { graphql } from "../api.js";
import { checkboxField } from "../fields.js";
import { formatCount, formatDate, formatYuan } from "../format.js";
import { PENALTY_SEVERITY_LABELS } from "../statuses.js";
import { el, uniqueId } from "../ui.js";

// Enum values the sharing list stores as codes (the API gives no labels for them).
const ENUM_LABELS = { severity: PENALTY_SEVERITY_LABELS };

// Every record is the firm's own: its USCC and name would only repeat the header.
const HIDDEN_FIELDS = new Set(["uscc", "name"]);

/** Categories whose records can be repaired (信用修复管理办法: administrative penalties). */
export const REPAIRABLE = new Set(["admin_penalty"]);

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
  return el(
    "div",
    { class: "commitment" },
    el("h3", {}, commitment.title),
    el("div", { class: "commitment-text", id: textId }, commitment.text),
    el("p", { class: "hint" }, `版本 ${commitment.version}`),
    el("input", { type: "hidden", name: "commitmentVersion", value: commitment.version }),
    checkboxField({
      name: "acceptCommitment",
      label: statement,
      required: true,
      requiredMessage: `须阅读并接受《${commitment.title}》后方可提交`,
      errorFor: "acceptCommitment",
      describedBy: [textId],
      className: "field field-check",
    }),
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
