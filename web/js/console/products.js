// products.js — owns the bank console's "贷款产品" view (#bank-products): the institution's own
// products in a table (any status, filtered by status), the way to publish a new one, and
// pausing, putting back on sale or retiring a product after confirmation.

import { percent, wan } from "../amounts.js";
import { graphql } from "../api.js";
import { formatMonthsRange } from "../format.js";
import { PRODUCT_STATUS, statusBadge } from "../statuses.js";
import { el, errorMessage, withBusyButton } from "../ui.js";
import { connectionPage } from "../widgets.js";
import { confirmDialog, statusFilteredList, twoLines } from "./bank_shared.js";

const PAGE_SIZE = 50;
const PRODUCTS = `query BankProducts($status: ProductStatus, $after: String, $first: Int!) {
  myLoanProducts(first: $first, after: $after, status: $status) {
    items {
      id code name productTypeLabel status version
      minAmount maxAmount minTermMonths maxTermMonths minAnnualRate maxAnnualRate regionNames
    }
    pageInfo { hasNextPage endCursor }
  }
}`;
const SET_STATUS = `mutation SetProductStatus($input: SetLoanProductStatusInput!) {
  setLoanProductStatus(input: $input) { product { id status } errors { code field message } }
}`;

/** What each status change is called and what the confirmation says. */
const CHANGES = {
  PAUSED: {
    button: "暂停",
    title: "暂停受理",
    message: (name) => `暂停后“${name}”不再受理新的申请，已提交的申请不受影响；可随时重新上架。`,
    done: (name) => `“${name}”已暂停受理`,
  },
  ACTIVE: {
    button: "上架",
    title: "重新上架",
    message: (name) => `重新上架后，企业可以在产品匹配中看到并申请“${name}”。`,
    done: (name) => `“${name}”已重新上架`,
  },
  RETIRED: {
    button: "下架",
    title: "下架产品",
    message: (name) => `下架后“${name}”不再展示、不再受理申请，也不能再修改，且不可恢复。`,
    done: (name) => `“${name}”已下架`,
    danger: true,
  },
};
const NEXT_STATUSES = { ACTIVE: ["PAUSED", "RETIRED"], PAUSED: ["ACTIVE", "RETIRED"], RETIRED: [] };

async function fetchPage(status, after) {
  const data = await graphql(PRODUCTS, { status: status || null, after, first: PAGE_SIZE });
  return connectionPage(data.myLoanProducts);
}

function editHash(product) {
  return `#bank-product/${encodeURIComponent(product.id)}`;
}

async function changeStatus(product, status, button, context, reload) {
  const change = CHANGES[status];
  const confirmed = await confirmDialog({
    title: change.title,
    message: change.message(product.name),
    confirmText: `确定${change.button}`,
    danger: Boolean(change.danger),
  });
  if (!confirmed) {
    button.focus();
    return;
  }
  try {
    const payload = await withBusyButton(button, "请稍候…", () =>
      graphql(SET_STATUS, { input: { productId: product.id, status } }).then((d) => d.setLoanProductStatus),
    );
    if (payload.errors.length > 0) {
      context.flash(payload.errors.map((e) => e.message).join("；"), "error");
      return;
    }
    context.flash(change.done(product.name));
    reload();
  } catch (error) {
    context.flash(errorMessage(error), "error");
  }
}

function actions(product, context, reload) {
  const next = NEXT_STATUSES[product.status] ?? [];
  if (next.length === 0) return "—";
  return el(
    "div",
    { class: "bank-actions" },
    next.map((status) => {
      const change = CHANGES[status];
      const button = el(
        "button",
        {
          type: "button",
          class: `btn btn-small ${change.danger ? "btn-ghost bank-danger-text" : "btn-secondary"}`,
          "aria-label": `${change.button}“${product.name}”`,
        },
        change.button,
      );
      button.addEventListener("click", () => changeStatus(product, status, button, context, reload));
      return button;
    }),
  );
}

function columns(context, reload) {
  return [
    {
      label: "产品名称",
      rowHeader: true,
      cell: (p) => twoLines(el("a", { href: editHash(p) }, p.name), p.code, { mono: true }),
    },
    { label: "类型", className: "nowrap", cell: (p) => p.productTypeLabel },
    { label: "额度（万元）", className: "num", cell: (p) => `${wan(p.minAmount)} – ${wan(p.maxAmount)}` },
    { label: "年利率", className: "num", cell: (p) => `${percent(p.minAnnualRate)} – ${percent(p.maxAnnualRate)}` },
    { label: "期限", className: "nowrap", cell: (p) => formatMonthsRange(p.minTermMonths, p.maxTermMonths) },
    { label: "服务地区", cell: (p) => p.regionNames.join("、") || "全国" },
    { label: "状态", cell: (p) => statusBadge(PRODUCT_STATUS, p.status) },
    { label: "版本", className: "num", cell: (p) => `第 ${p.version} 版` },
    { label: "操作", cell: (p) => actions(p, context, reload) },
  ];
}

/** Draw the list of the institution's products with its status filter. */
export async function render(container, context) {
  await statusFilteredList(container, {
    caption: "本机构的贷款产品",
    statuses: PRODUCT_STATUS,
    columns: (reload) => columns(context, reload),
    fetchPage,
    empty: (status) => (status ? "没有该状态的产品。" : "还没有发布产品。点击“发布新产品”开始。"),
    actions: [el("a", { class: "btn btn-primary", href: "#bank-product/new" }, "发布新产品")],
  });
}
