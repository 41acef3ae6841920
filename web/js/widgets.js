// widgets.js — owns the list and table pieces the enterprise's views and the console share: a
// page of a list as {items, next} (from a connection or an id cursor), the "加载更多" button that
// fetches the next page, the table that scrolls sideways inside its own box (never the page),
// and such a table drawn a page at a time.

import { AuthRequiredError } from "./api.js";
import { el, emptyState, errorMessage, withBusyButton } from "./ui.js";

/** A connection ({items, pageInfo: {hasNextPage, endCursor}, …}) as a page {…, items, next}. */
export function connectionPage(connection) {
  const { hasNextPage, endCursor } = connection.pageInfo;
  return { ...connection, next: hasNextPage ? endCursor : null };
}

/** A page of a list paged by id: a full page (`pageSize` items) has a next page after its last id. */
export function idPage(items, pageSize) {
  const full = items.length > 0 && items.length >= pageSize;
  return { items, next: full ? items[items.length - 1].id : null };
}

/**
 * The "加载更多" button under a list: loadMore({next (the first page's cursor), fetchPage(cursor)
 * → {items, next}, addItems(items), onPage(page), className (of its box), buttonClass,
 * errorSuffix}) → its box. It hides when there is no next page; a failure shows its message
 * (with `errorSuffix`) above it and the button stays for another try.
 */
export function loadMore({
  next,
  fetchPage,
  addItems,
  onPage = () => {},
  className = null,
  buttonClass = "btn btn-secondary btn-block",
  errorSuffix = "",
}) {
  let cursor = next;
  const alert = el("p", { class: "notice notice-error", role: "alert", hidden: true });
  const button = el("button", { type: "button", class: buttonClass }, "加载更多");
  button.hidden = !cursor;
  button.addEventListener("click", async () => {
    alert.hidden = true;
    let page;
    try {
      page = await withBusyButton(button, "正在加载…", () => fetchPage(cursor));
    } catch (error) {
      if (error instanceof AuthRequiredError) return;
      alert.textContent = `${errorMessage(error)}${errorSuffix}`;
      alert.hidden = false;
      return;
    }
    addItems(page.items);
    cursor = page.next;
    button.hidden = !cursor;
    onPage(page);
  });
  return el("div", { class: className }, alert, button);
}

function cell(column, row) {
  const value = column.cell(row);
  const content = value === null || value === undefined || value === "" ? "—" : value;
  const header = Boolean(column.rowHeader);
  return el(header ? "th" : "td", { scope: header ? "row" : null, class: column.className }, content);
}

/**
 * A table inside a keyboard-focusable box that scrolls sideways on its own:
 * dataTable({caption (read by screen readers), columns: [{label, cell(row) → text or nodes,
 * className, rowHeader}], rows, rowClass(row), tableClass, wrapClass}) → {node, append(rows)}.
 * Empty cells show "—".
 */
export function dataTable({ caption, columns, rows, rowClass = () => null, tableClass = null, wrapClass = null }) {
  const body = el("tbody");
  const head = el("tr", {}, columns.map((column) => el("th", { scope: "col", class: column.className }, column.label)));
  const table = el(
    "table",
    { class: tableClass },
    el("caption", { class: "table-caption" }, caption),
    el("thead", {}, head),
    body,
  );
  const append = (items) => {
    for (const row of items) body.append(el("tr", { class: rowClass(row) }, columns.map((c) => cell(c, row))));
  };
  append(rows);
  const wrapClasses = wrapClass ? `table-wrap ${wrapClass}` : "table-wrap";
  const label = `${caption}（表格，可左右滚动）`;
  const node = el("div", { class: wrapClasses, tabindex: "0", role: "group", "aria-label": label }, table);
  return { node, append };
}

/**
 * A table drawn a page at a time: pagedTable({caption, columns, rowClass, tableClass,
 * wrapClass, moreClass, first (the first page {items, next}), fetchPage(cursor) → {items, next},
 * empty (the text for no rows)}) → the nodes to show: the table, "加载更多" while there is a
 * next page, and a status line saying how many rows came.
 */
export function pagedTable({ first, fetchPage, empty, moreClass = null, ...tableOptions }) {
  if (first.items.length === 0) return emptyState(empty);
  const table = dataTable({ ...tableOptions, rows: first.items });
  const status = el("p", { class: "more-status", role: "status" });
  const more = loadMore({
    next: first.next,
    fetchPage,
    addItems: table.append,
    onPage: (page) => {
      status.textContent = `已加载 ${page.items.length} 条`;
    },
    className: moreClass,
    buttonClass: "btn btn-secondary",
  });
  return [table.node, more, status];
}
