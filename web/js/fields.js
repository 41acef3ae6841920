// fields.js — owns the form fields the enterprise's views and the console both build beyond
// form.js's buildField: a checkbox with its label (and its hint and error slot), a group of radio
// buttons, a reason box (optionally with a live "已输入 n/1000 字" count), and splitting a list
// typed into one field ("3713, 3714" or "纯信用、随借随还").

import { buildField } from "./form.js";
import { el, uniqueId } from "./ui.js";

function errorSlot(id, field) {
  return el("p", { class: "field-error", id, "data-error-for": field, role: "alert", hidden: true });
}

/**
 * A checkbox inside its label: checkboxField({name, label, value, multiple, checked, required,
 * requiredMessage, hint, errorFor (the field whose server error shows under it), describedBy
 * (more ids that describe it), className (of the wrapper), onChange(checked)}).
 */
export function checkboxField({
  name = null,
  label,
  value = "on",
  multiple = false,
  checked = false,
  required = false,
  requiredMessage = null,
  hint = null,
  errorFor = null,
  describedBy = [],
  className = "check-field",
  onChange = null,
}) {
  const id = uniqueId(`check-${name || "box"}`);
  const input = el("input", {
    type: "checkbox",
    id,
    name,
    value: name ? value : null,
    "data-multiple": multiple ? "" : null,
    required: required || null,
    "data-required-message": required ? requiredMessage || `请勾选“${label}”` : null,
  });
  input.checked = checked;
  if (onChange) input.addEventListener("change", () => onChange(input.checked));
  const hintNode = hint ? el("p", { class: "hint", id: `${id}-hint` }, hint) : null;
  const slot = errorFor ? errorSlot(`${id}-error`, errorFor) : null;
  const described = [...describedBy, hintNode?.id, slot?.id].filter(Boolean);
  if (described.length > 0) input.setAttribute("aria-describedby", described.join(" "));
  return el(
    "div",
    { class: className },
    el("label", { class: "check-label", for: id }, input, el("span", {}, label)),
    hintNode,
    slot,
  );
}

/**
 * A group of radio buttons under a legend: radioGroup({name, legend, options: [[value, text]],
 * value (the one checked), className (of the fieldset), rowClass (a box around the options),
 * labelClass, errorFor (the field whose error shows under the group)}).
 */
export function radioGroup({
  name,
  legend,
  options,
  value = null,
  className = "fieldset",
  rowClass = null,
  labelClass = null,
  errorFor = null,
}) {
  const labels = options.map(([optionValue, text]) => {
    const id = uniqueId(`${name}-option`);
    const input = el("input", { type: "radio", id, name, value: optionValue });
    input.checked = optionValue === value;
    const classes = labelClass ? `check-label ${labelClass}` : "check-label";
    return el("label", { class: classes, for: id }, input, el("span", {}, text));
  });
  const slot = errorFor ? errorSlot(uniqueId(`${name}-error`), errorFor) : null;
  return el(
    "fieldset",
    { class: className, "aria-describedby": slot ? slot.id : null },
    el("legend", {}, legend),
    rowClass ? el("div", { class: rowClass }, labels) : labels,
    slot,
  );
}

/**
 * A textarea for a reason (buildField's label, hint and error slot): reasonField({name, label,
 * hint, required, requiredMessage, maxLength, rows, counter}). With `counter` a live line
 * "已输入 n/maxLength 字" sits under the hint.
 */
export function reasonField({
  name = "reason",
  label,
  hint = null,
  required = false,
  requiredMessage = null,
  maxLength = 1000,
  rows = 5,
  counter = false,
}) {
  const field = buildField({
    name,
    label,
    type: "textarea",
    hint,
    required,
    requiredMessage,
    attributes: { rows: String(rows), maxlength: String(maxLength) },
  });
  if (!counter) return field;
  const box = field.querySelector("textarea");
  const count = el("p", { class: "hint counter", id: `${box.id}-count` }, `已输入 0/${maxLength} 字`);
  const error = field.querySelector(".field-error");
  field.insertBefore(count, error);
  const hintId = hint ? `${box.id}-hint ` : "";
  box.setAttribute("aria-describedby", `${hintId}${count.id} ${error.id}`);
  box.addEventListener("input", () => {
    count.textContent = `已输入 ${box.value.trim().length}/${maxLength} 字`;
  });
  return field;
}

/** Split a list typed in one field ("3713, 3714" or "纯信用、随借随还") into its items. */
export function splitList(text) {
  return String(text ?? "")
    .split(/[\s,，、;；]+/)
    .filter(Boolean);
}
