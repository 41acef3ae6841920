// records.js — owns #records/<category> (信用记录): one category's records of the firm (all
// categories when no code is given), newest first, ten at a time with "加载更多" (the
// connection's cursor). Each record is a card with its fields under the sharing list's Chinese
// labels (the firm's own USCC and name are left out), its source and date, and the actions
// "提出异议" (#objections/<record id>) and, for administrative penalties, "申请信用修复"
// (#objections/repair-<record id>).

import { graphql } from "../api.js";
import { formatCount, formatDate, formatDateTime } from "../format.js";
import { DISCLOSURE, statusBadge } from "../statuses.js";
import { backLink, card, el, emptyState, facts, loadInto } from "../ui.js";
import { connectionPage, loadMore } from "../widgets.js";
import { REPAIRABLE, fieldRows, freshMount, loadSharingCategories, rememberRecord } from "./credit_common.js";

const PAGE_SIZE = 10;
const RECORDS = `query CategoryRecords($category: String, $first: Int!, $after: String) {
  myCreditProfile {
    records(category: $category, first: $first, after: $after) {
      totalCount
      pageInfo { hasNextPage endCursor }
      items { id category categoryLabel fields source occurredOn receivedAt visibleUntil }
    }
  }
}`;

async function fetchPage(category, after) {
  const data = await graphql(RECORDS, { category, first: PAGE_SIZE, after });
  return connectionPage(data.myCreditProfile.records);
}

function recordActions(record) {
  const id = encodeURIComponent(record.id);
  return el(
    "div",
    { class: "record-actions" },
    el("a", { class: "btn btn-secondary btn-small", href: `#objections/${id}` }, "提出异议"),
    REPAIRABLE.has(record.category)
      ? el("a", { class: "btn btn-ghost btn-small", href: `#objections/repair-${id}` }, "申请信用修复")
      : null,
  );
}

/** One record as a card: title with its date, source, fields, publicity end and actions. */
function recordCard(record, categories) {
  rememberRecord(record);
  const headingId = `record-${record.id}-title`;
  const day = record.occurredOn ? formatDate(record.occurredOn) : "日期未知";
  return el(
    "li",
    {},
    el(
      "article",
      { class: "record-card", "aria-labelledby": headingId },
      el("h3", { id: headingId }, `${record.categoryLabel} · ${day}`),
      facts([
        ["数据来源", record.source],
        ...fieldRows(record.fields, categories[record.category]),
        ["公示截止", record.visibleUntil ? formatDate(record.visibleUntil) : null],
        ["归集时间", formatDateTime(record.receivedAt)],
        ["记录编号", record.id, { mono: true }],
      ]),
      recordActions(record),
    ),
  );
}

function summaryCard(category, total) {
  return card(
    category ? category.label : "全部类别",
    "records-summary",
    el(
      "p",
      { class: "records-meta" },
      el("span", {}, `共 ${formatCount(total)} 条`),
      category ? statusBadge(DISCLOSURE, category.disclosure) : null,
    ),
    el("p", { class: "hint" }, "按发生日期由近及远排列。认为记录有误，可在该条记录下提出异议。"),
  );
}

/** The list with its "加载更多" button, which appends the next page in place. */
function recordList(code, categories, page) {
  const list = el("ul", { class: "record-list", "aria-label": "信用记录" });
  const shown = el("p", { class: "hint records-shown" });
  const addItems = (records) => list.append(...records.map((record) => recordCard(record, categories)));
  const count = (next) => {
    shown.textContent = `已显示 ${formatCount(list.children.length)} / ${formatCount(next.totalCount)} 条`;
  };
  addItems(page.items);
  count(page);
  const more = loadMore({
    next: page.next,
    fetchPage: (cursor) => fetchPage(code, cursor),
    addItems,
    onPage: count,
    errorSuffix: "（可点击“加载更多”重试）",
  });
  return [list, shown, more];
}

function unknownCategory(code) {
  return [
    emptyState(`没有“${code}”这个信用信息类别。`),
    el("a", { class: "btn btn-secondary btn-block", href: "#credit" }, "返回信用档案"),
  ];
}

/** Draw #records/<category>: the category's records, paged. */
export async function render(container, context) {
  const code = context.arg || null;
  await loadInto(
    freshMount(container),
    async () => {
      const categories = await loadSharingCategories();
      if (code && !categories[code]) return { categories, page: null };
      return { categories, page: await fetchPage(code, null) };
    },
    ({ categories, page }) => {
      if (!page) return unknownCategory(code);
      const category = code ? categories[code] : null;
      const back = backLink("#credit", "返回信用档案");
      if (page.items.length === 0) {
        return [back, summaryCard(category, 0), emptyState("该类别暂无记录。")];
      }
      return [back, summaryCard(category, page.totalCount), ...recordList(code, categories, page)];
    },
  );
}
