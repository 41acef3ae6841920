// demands.js — owns the bank console's "匹配的融资需求" view (#bank-demands): open financing
// demands that the institution's products match (the firm only as the API shows it: name, code,
// type, place, industry, size), which products fit, and 提供报价 — inviting the firm to apply
// for one of them (offerForDemand), with an optional message.

import { wan } from "../amounts.js";
import { graphql } from "../api.js";
import { buildField, formErrorSlot, readForm, showUserErrors, submitForm } from "../form.js";
import { formatDateTime, formatMonths } from "../format.js";
import { SIZE_CLASS_LABELS } from "../statuses.js";
import { badge, el, loadInto } from "../ui.js";
import { connectionPage, pagedTable } from "../widgets.js";
import { BANK_TABLE, openDialog, twoLines } from "./bank_shared.js";

const PAGE_SIZE = 50;
const DEMANDS = `query MatchedDemands($after: String, $first: Int!) {
  matchedDemands(first: $first, after: $after) {
    items {
      id amount termMonths purpose publishedAt authorized offeredProductIds
      enterprise { name uscc entityTypeLabel regionName industryCode sizeClass }
      matchedProducts { id name }
    }
    pageInfo { hasNextPage endCursor }
  }
}`;
const OFFER = `mutation OfferForDemand($input: OfferForDemandInput!) {
  offerForDemand(input: $input) { offer { id } errors { code field message } }
}`;

async function fetchPage(after) {
  const data = await graphql(DEMANDS, { after, first: PAGE_SIZE });
  return connectionPage(data.matchedDemands);
}

function firmCell(demand) {
  const e = demand.enterprise;
  const industry = e.industryCode ? `行业 ${e.industryCode}` : null;
  const details = [e.entityTypeLabel, e.regionName, SIZE_CLASS_LABELS[e.sizeClass], industry].filter(Boolean).join(" · ");
  return [
    ...twoLines(e.name, e.uscc, { mono: true }),
    el("span", { class: "bank-sub" }, details),
  ];
}

/** The dialog that sends an invitation; `onSent()` after the server accepts it. */
function offerDialog(demand, product, context, onSent) {
  const need = `需求 ${wan(demand.amount)} 万元，${formatMonths(demand.termMonths)}`;
  const send = el("button", { type: "submit", class: "btn btn-primary", "data-busy-text": "正在发送…" }, "发送邀请");
  const cancel = el("button", { type: "button", class: "btn btn-secondary" }, "取消");
  const form = el(
    "form",
    { novalidate: true },
    formErrorSlot(),
    el("p", {}, `邀请${demand.enterprise.name}申请“${product.name}”（${need}）。企业会收到站内消息。`),
    buildField({
      name: "message",
      label: "留言（可选，500 字以内）",
      type: "textarea",
      hint: "如利率区间、办理方式或联系人，企业可见",
      attributes: { rows: "3", maxlength: "500" },
    }),
    el("div", { class: "bank-dialog-actions" }, cancel, send),
  );
  const { close } = openDialog({ title: "提供报价", content: [form] });
  cancel.addEventListener("click", close);
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    submitForm(form, async () => {
      const values = readForm(form);
      const input = { demandId: demand.id, productId: product.id, message: values.message || null };
      const payload = (await graphql(OFFER, { input })).offerForDemand;
      if (payload.errors.length > 0) {
        showUserErrors(form, payload.errors);
        return;
      }
      close();
      onSent();
      context.flash(`已邀请${demand.enterprise.name}申请“${product.name}”。`);
    });
  });
  form.querySelector("textarea").focus();
}

function productsCell(demand, context) {
  const offered = new Set(demand.offeredProductIds);
  return el(
    "ul",
    { class: "bank-product-list" },
    demand.matchedProducts.map((product) => {
      const item = el("li", {}, el("span", { class: "bank-main" }, product.name));
      const sent = () => badge("已邀请", "ok");
      if (offered.has(product.id)) {
        item.append(sent());
        return item;
      }
      const label = `就“${product.name}”向${demand.enterprise.name}提供报价`;
      const attributes = { type: "button", class: "btn btn-small btn-secondary", "aria-label": label };
      const button = el("button", attributes, "提供报价");
      button.addEventListener("click", () =>
        offerDialog(demand, product, context, () => {
          offered.add(product.id);
          button.replaceWith(sent());
        }),
      );
      item.append(button);
      return item;
    }),
  );
}

function columns(context) {
  return [
    { label: "企业", rowHeader: true, cell: firmCell },
    { label: "金额（万元）", className: "num", cell: (d) => wan(d.amount) },
    { label: "期限", className: "nowrap", cell: (d) => formatMonths(d.termMonths) },
    { label: "用途", cell: (d) => d.purpose },
    { label: "发布时间", cell: (d) => formatDateTime(d.publishedAt) },
    { label: "授权", cell: (d) => (d.authorized ? badge("已授权本机构", "ok") : badge("未授权")) },
    { label: "匹配的本机构产品", cell: (d) => productsCell(d, context) },
  ];
}

/** Draw the demands that the institution's products match. */
export async function render(container, context) {
  const results = el("div", { class: "bank-results" });
  container.replaceChildren(
    el("p", { class: "lead" }, "与本机构在售产品匹配、尚未关闭的融资需求。匹配用到了企业的非公开数据，因此这里只显示企业的公开身份信息；企业授权或提出申请后可查看更多。"),
    results,
  );
  await loadInto(
    results,
    () => fetchPage(null),
    (first) =>
      pagedTable({
        ...BANK_TABLE,
        caption: "匹配的融资需求",
        columns: columns(context),
        first,
        fetchPage,
        empty: "暂时没有与本机构在售产品匹配的融资需求。",
      }),
  );
}
