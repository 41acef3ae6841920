// form.js — owns the behaviour shared by every form: reading values, required-field checks,
// showing each server error next to the field it names (errors[].field is the camelCase input
// name), the busy state of the submit button, and the show/hide password toggle.

import { ApiError, AuthRequiredError } from "./api.js";

const FIELDS = "input[name], select[name], textarea[name]";

/**
 * The form's named controls as {name: value}: text trimmed (passwords not), a checkbox as true or
 * false, radio buttons as the checked one's value, several checkboxes of one name as an array
 * when they carry data-multiple.
 */
export function readForm(form) {
  const values = {};
  for (const input of form.querySelectorAll(FIELDS)) {
    if (input.type === "checkbox" && input.dataset.multiple !== undefined) {
      values[input.name] ??= [];
      if (input.checked) values[input.name].push(input.value);
    } else if (input.type === "checkbox") {
      values[input.name] = input.checked;
    } else if (input.type === "radio") {
      if (input.checked) values[input.name] = input.value;
      else values[input.name] ??= "";
    } else {
      values[input.name] = input.type === "password" ? input.value : input.value.trim();
    }
  }
  return values;
}

function errorSlot(form, field) {
  const slot = form.querySelector(`[data-error-for="${CSS.escape(field)}"]`);
  return slot ?? form.querySelector('[data-error-for=""]');
}

/** Show one message for `field` (null or unknown field: the form-level alert). */
export function showError(form, field, message) {
  const slot = errorSlot(form, field ?? "");
  // Several errors may land in the form-level slot: keep each on its own line.
  slot.textContent = slot.hidden || !slot.textContent ? message : `${slot.textContent}\n${message}`;
  slot.hidden = false;
  const input = field ? form.querySelector(`[name="${CSS.escape(field)}"]`) : null;
  if (input) input.setAttribute("aria-invalid", "true");
}

/** Hide the message of one field, or of every field when `field` is omitted. */
export function clearErrors(form, field) {
  const slots = field === undefined
    ? form.querySelectorAll("[data-error-for]")
    : form.querySelectorAll(`[data-error-for="${CSS.escape(field)}"]`);
  for (const slot of slots) {
    slot.textContent = "";
    slot.hidden = true;
  }
  const inputs = field === undefined
    ? form.querySelectorAll("[aria-invalid]")
    : form.querySelectorAll(`[name="${CSS.escape(field)}"][aria-invalid]`);
  for (const input of inputs) input.removeAttribute("aria-invalid");
}

/** Show a payload's `errors` ([{code, field, message}]) and focus the first bad field. */
export function showUserErrors(form, errors) {
  clearErrors(form);
  for (const error of errors) showError(form, error.field, error.message);
  focusFirstInvalid(form);
}

/** Check the `required` inputs; show their data-required-message; true when all are filled. */
export function checkRequired(form) {
  let ok = true;
  const checked = new Set();
  for (const input of form.querySelectorAll("input[required], select[required], textarea[required]")) {
    if (checked.has(input.name)) continue; // a group of radio buttons is one answer
    checked.add(input.name);
    const missing = input.type === "checkbox" || input.type === "radio"
      ? !form.querySelector(`[name="${CSS.escape(input.name)}"]:checked`)
      : !input.value.trim();
    if (missing) {
      showError(form, input.name, input.dataset.requiredMessage || "此项必填");
      ok = false;
    }
  }
  if (!ok) focusFirstInvalid(form);
  return ok;
}

function focusFirstInvalid(form) {
  const bad = form.querySelector('[aria-invalid="true"]');
  if (bad) bad.focus();
}

/**
 * Run `task` with the form's submit button disabled and showing its data-busy-text.
 * Returns whatever `task` returns; the button is restored even when it throws.
 */
export async function whileBusy(form, task) {
  const button = form.querySelector('button[type="submit"]');
  const label = button.textContent;
  button.disabled = true;
  button.setAttribute("aria-busy", "true");
  button.textContent = button.dataset.busyText || "请稍候…";
  form.setAttribute("aria-busy", "true");
  try {
    return await task();
  } finally {
    button.disabled = false;
    button.removeAttribute("aria-busy");
    button.textContent = label;
    form.removeAttribute("aria-busy");
  }
}

/**
 * The submit routine of every form: clear old messages, check required fields, then run
 * `task` while busy. A lost session is already handled by api.js (back to sign-in); any other
 * failure is shown in the form-level alert.
 */
export async function submitForm(form, task) {
  clearErrors(form);
  if (!checkRequired(form)) return;
  try {
    await whileBusy(form, task);
  } catch (error) {
    if (error instanceof AuthRequiredError) return;
    if (error instanceof ApiError) {
      showError(form, null, error.message);
    } else {
      console.error(error);
      showError(form, null, "页面出现问题，请刷新后重试");
    }
  }
}

/** Wire every show/hide password button (data-reveal = the input's id) under `root`. */
export function wirePasswordToggles(root) {
  for (const button of root.querySelectorAll("[data-reveal]")) {
    button.addEventListener("click", () => {
      const input = document.getElementById(button.dataset.reveal);
      const reveal = input.type === "password";
      input.type = reveal ? "text" : "password";
      button.textContent = reveal ? "隐藏" : "显示";
      button.setAttribute("aria-pressed", String(reveal));
      button.setAttribute("aria-label", reveal ? "隐藏密码" : "显示密码");
    });
    button.setAttribute("aria-label", "显示密码");
  }
}

/** Put a password input back to hidden (after leaving the view). */
export function hidePasswords(root) {
  for (const button of root.querySelectorAll('[data-reveal][aria-pressed="true"]')) button.click();
}

let fieldCounter = 0;

/** The form-level alert slot (errors without a field, network failures); put it first in a form. */
export function formErrorSlot() {
  const slot = document.createElement("div");
  slot.className = "form-error";
  slot.dataset.errorFor = "";
  slot.setAttribute("role", "alert");
  slot.hidden = true;
  return slot;
}

/**
 * A labelled field with its hint and its error slot, as the static forms have:
 * buildField({name, label, type: "text"|"number"|"date"|"textarea"|"select"|…, hint, required,
 * requiredMessage, value, options: [[value, text]] (select), attributes: {…}}).
 */
export function buildField({
  name,
  label,
  type = "text",
  hint = null,
  required = false,
  requiredMessage = null,
  value = null,
  options = [],
  attributes = {},
}) {
  fieldCounter += 1;
  const id = `field-${name}-${fieldCounter}`;
  const wrapper = document.createElement("div");
  wrapper.className = "field";
  const labelNode = document.createElement("label");
  labelNode.htmlFor = id;
  labelNode.textContent = label;
  let control;
  if (type === "textarea") {
    control = document.createElement("textarea");
  } else if (type === "select") {
    control = document.createElement("select");
    for (const [optionValue, text] of options) {
      const option = document.createElement("option");
      option.value = optionValue;
      option.textContent = text;
      control.append(option);
    }
  } else {
    control = document.createElement("input");
    control.type = type;
  }
  control.id = id;
  control.name = name;
  if (required) {
    control.required = true;
    control.dataset.requiredMessage = requiredMessage || `请填写${label}`;
  }
  for (const [key, attributeValue] of Object.entries(attributes)) control.setAttribute(key, attributeValue);
  if (value !== null && value !== undefined) control.value = value;
  const described = [];
  wrapper.append(labelNode, control);
  if (hint) {
    const hintNode = document.createElement("p");
    hintNode.className = "hint";
    hintNode.id = `${id}-hint`;
    hintNode.textContent = hint;
    wrapper.append(hintNode);
    described.push(hintNode.id);
  }
  const error = document.createElement("p");
  error.className = "field-error";
  error.id = `${id}-error`;
  error.dataset.errorFor = name;
  error.setAttribute("role", "alert");
  error.hidden = true;
  wrapper.append(error);
  described.push(error.id);
  control.setAttribute("aria-describedby", described.join(" "));
  return wrapper;
}
