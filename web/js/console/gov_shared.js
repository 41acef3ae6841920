// gov_shared.js — owns what the government console's views share: the look of their tables
// (GOV_TABLE, for widgets.js's dataTable and pagedTable), the filter bar above a list, the
// buttons under a form (submit and 取消), the in-page confirmation step (a small form with a
// reason), the panel opened below a list, the button that shows and hides a form, and the
// view's status line.

import { reasonField } from "../fields.js";
import { formErrorSlot, readForm, showUserErrors, submitForm } from "../form.js";
import { el, uniqueId } from "../ui.js";

/** The government console's table look: options for dataTable and pagedTable (widgets.js). */
export const GOV_TABLE = { tableClass: "gov-table", moreClass: "gov-more" };

/** The view's status line: {node, show(message, kind = "ok", ...extra nodes), hide()}. */
export function statusLine() {
  const node = el("div", { class: "notice gov-status", role: "status", hidden: true });
  return {
    node,
    show(message, kind = "ok", ...extra) {
      node.className = `notice gov-status ${kind === "error" ? "notice-error" : "notice-ok"}`;
      node.replaceChildren(el("span", {}, message), ...extra);
      node.hidden = false;
    },
    hide() {
      node.hidden = true;
      node.replaceChildren();
    },
  };
}

/** A filter bar made of `fields` (a form never submitted); onChange(values) after each change. */
export function filterForm(fields, onChange) {
  const form = el("form", { class: "gov-filters", novalidate: true }, fields);
  form.addEventListener("change", () => onChange(readForm(form)));
  form.addEventListener("submit", (event) => event.preventDefault());
  return form;
}

/** The buttons under a form: formActions({label, busyText, danger, onCancel}) → submit and 取消. */
export function formActions({ label, busyText, danger = false, onCancel }) {
  return el(
    "div",
    { class: "gov-actions" },
    el("button", { type: "submit", class: `btn ${danger ? "gov-btn-danger" : "btn-primary"}`, "data-busy-text": busyText }, label),
    el("button", { type: "button", class: "btn btn-ghost", onclick: onCancel }, "取消"),
  );
}

/**
 * An in-page confirmation as a small form (people confirm in the page, not in a browser dialog):
 * confirmForm({title, text, reason: {label, required, hint} | null, confirmLabel, busyText,
 * danger, submit(values) → payload with errors, done(payload), cancel()}) → the card node.
 * Server errors appear next to the reason (field "reason") or at the top of the form.
 */
export function confirmForm({ title, text, reason = null, confirmLabel, busyText, danger = false, submit, done, cancel }) {
  const headingId = uniqueId("confirm-title");
  const form = el("form", { class: "form", novalidate: true }, formErrorSlot());
  if (text) form.append(el("p", {}, text));
  if (reason) {
    form.append(
      reasonField({
        label: reason.label,
        hint: reason.hint ?? null,
        required: Boolean(reason.required),
        requiredMessage: reason.requiredMessage ?? `请填写${reason.label}`,
        maxLength: 500,
        rows: 3,
      }),
    );
  }
  form.append(formActions({ label: confirmLabel, busyText, danger, onCancel: cancel }));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    submitForm(form, async () => {
      const payload = await submit(readForm(form));
      if (payload.errors.length > 0) {
        showUserErrors(form, payload.errors);
        return;
      }
      done(payload);
    });
  });
  return el(
    "section",
    { class: "card gov-confirm", "aria-labelledby": headingId },
    el("h2", { id: headingId, tabindex: "-1" }, title),
    form,
  );
}

/** Put `panel` into `slot`, scroll it into view and move the focus to its heading. */
export function openPanel(slot, panel) {
  slot.replaceChildren(panel);
  const heading = panel.querySelector("h2, h3");
  if (heading) {
    heading.setAttribute("tabindex", "-1");
    heading.focus();
  }
  panel.scrollIntoView({ block: "nearest" });
}

/** A button that shows and hides `target` (aria-expanded), calling `onOpen` when it opens. */
export function toggleButton(label, target, onOpen = () => {}) {
  const id = target.id || uniqueId("toggle-target");
  target.id = id;
  const button = el("button", { type: "button", class: "btn btn-primary", "aria-expanded": "false", "aria-controls": id }, label);
  button.addEventListener("click", () => {
    const open = target.hidden;
    target.hidden = !open;
    button.setAttribute("aria-expanded", String(open));
    if (open) onOpen();
    else button.focus(); // closed from inside (取消): the focus must not fall to the page
  });
  return button;
}
