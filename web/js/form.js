// form.js — owns the behaviour shared by every form: reading values, required-field checks,
// showing each server error next to the field it names (errors[].field is the camelCase input
// name), the busy state of the submit button, and the show/hide password toggle.

import { ApiError, AuthRequiredError } from "./api.js";

/** The form's named inputs as {name: trimmed value} (passwords are not trimmed). */
export function readForm(form) {
  const values = {};
  for (const input of form.querySelectorAll("input[name]")) {
    values[input.name] = input.type === "password" ? input.value : input.value.trim();
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
  const input = field ? form.querySelector(`input[name="${CSS.escape(field)}"]`) : null;
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
    ? form.querySelectorAll("input[aria-invalid]")
    : form.querySelectorAll(`input[name="${CSS.escape(field)}"][aria-invalid]`);
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
  for (const input of form.querySelectorAll("input[required]")) {
    if (!input.value.trim()) {
      showError(form, input.name, input.dataset.requiredMessage || "此项必填");
      ok = false;
    }
  }
  if (!ok) focusFirstInvalid(form);
  return ok;
}

function focusFirstInvalid(form) {
  const bad = form.querySelector('input[aria-invalid="true"]');
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
