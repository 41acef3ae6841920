// ui.js — owns the building blocks every view uses: making elements (always text, never HTML),
// titled cards, fact lists, and the loading, error and empty states of a request.

import { ApiError, AuthRequiredError } from "./api.js";

let idCounter = 0;

/** A page-unique id with `prefix`. */
export function uniqueId(prefix) {
  idCounter += 1;
  return `${prefix}-${idCounter}`;
}

/** Build an element: el("p", {class: "x"}, "text", child…); null/false attributes and children are skipped. */
export function el(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === null || value === undefined || value === false) continue;
    if (name.startsWith("on") && typeof value === "function") {
      node.addEventListener(name.slice(2), value);
    } else {
      node.setAttribute(name, value === true ? "" : value);
    }
  }
  for (const child of children.flat()) {
    if (child !== null && child !== undefined && child !== false) node.append(child);
  }
  return node;
}

/** A titled card that is a labelled region (so people and tests can find it by its title). */
export function card(title, extraClass, ...children) {
  const headingId = uniqueId("card-title");
  return el(
    "section",
    { class: `card ${extraClass || ""}`.trim(), "aria-labelledby": headingId },
    el("h2", { id: headingId }, title),
    ...children,
  );
}

/** A definition list from [term, value, options] rows; rows with value null are left out. */
export function facts(rows) {
  const list = el("dl", { class: "facts" });
  for (const [term, value, options = {}] of rows) {
    if (value === null || value === undefined) continue;
    list.append(
      el("div", { class: "fact" }, el("dt", {}, term), el("dd", { class: options.mono ? "mono" : null }, value)),
    );
  }
  return list;
}

/** A status badge: kind is "ok", "warn", "error" or "" (neutral). */
export function badge(text, kind = "") {
  return el("span", { class: `badge${kind ? ` badge-${kind}` : ""}` }, text);
}

/** Show "正在加载…" in `container` (announced politely to screen readers). */
export function showLoading(container, text = "正在加载…") {
  container.setAttribute("aria-busy", "true");
  container.replaceChildren(el("p", { class: "loading-view", role: "status" }, text));
}

/** Show `message` with a 重试 button that calls `retry`. */
export function showError(container, message, retry) {
  container.removeAttribute("aria-busy");
  container.replaceChildren(
    el("p", { class: "notice notice-error", role: "alert" }, message),
    retry ? el("button", { type: "button", class: "btn btn-secondary btn-block", onclick: retry }, "重试") : null,
  );
}

/** A muted line for an empty list. */
export function emptyState(text) {
  return el("p", { class: "empty-state" }, text);
}

/** The Chinese message for a failed request (`error` from api.graphql). */
export function errorMessage(error) {
  if (error instanceof ApiError) return error.message;
  console.error(error);
  return "页面出现问题，请刷新后重试";
}

/**
 * Load and show: `fetch()` runs with the loading state in `container`, then `render(data)` returns
 * the nodes to show. A failure shows its message with a retry; a lost session is left to api.js.
 */
export async function loadInto(container, fetch, render) {
  showLoading(container);
  let data;
  try {
    data = await fetch();
  } catch (error) {
    if (error instanceof AuthRequiredError) return;
    showError(container, errorMessage(error), () => loadInto(container, fetch, render));
    return;
  }
  container.removeAttribute("aria-busy");
  const nodes = render(data);
  const shown = (Array.isArray(nodes) ? nodes.flat() : [nodes]).filter((node) => node !== null && node !== undefined && node !== false);
  container.replaceChildren(...shown);
}

/** Run `task` with `button` disabled and saying `busyText`; the label comes back even on failure. */
export async function withBusyButton(button, busyText, task) {
  const label = button.textContent;
  button.disabled = true;
  button.setAttribute("aria-busy", "true");
  button.textContent = busyText;
  try {
    return await task();
  } finally {
    button.disabled = false;
    button.removeAttribute("aria-busy");
    button.textContent = label;
  }
}

/** A "返回" link to `hash` (e.g. "#me"). */
export function backLink(hash, text = "返回") {
  return el("p", { class: "back-link" }, el("a", { href: hash }, `‹ ${text}`));
}
