// demand.js — owns the "融资需求" view (#demand): publishing a financing demand (amount typed in
// 万元 or 元 and sent in 元, term in months, purpose), and the enterprise's demands with their
// status, the institutions' offers received for each, and closing a demand.

import { amountInYuan, wholeNumber } from "../amounts.js";
import { graphql } from "../api.js";
import { radioGroup } from "../fields.js";
import { buildField, formErrorSlot, readForm, showUserErrors, submitForm } from "../form.js";
import { formatAmount, formatDateTime, formatMonths, formatYuan } from "../format.js";
import { DEMAND_STATUS, statusBadge } from "../statuses.js";
import { card, el, emptyState, facts, loadInto } from "../ui.js";
import { actions, confirmMutation, itemArticle, leaveNotice, showWithNotice } from "./finance_common.js";

const USER_ERROR = "errors { code field message }";
const DEMAND_FIELDS = "id amount termMonths purpose status createdAt firstResponseAt closedAt";

const MY_DEMANDS = `query MyDemands { myDemands(first: 20) { ${DEMAND_FIELDS} } }`;

const OFFER_FIELDS = "id institutionName message createdAt product { id name }";
const OFFERS_PER_QUERY = 10; // the server allows 15 aliases per request

/** One query for the offers of every demand: d0: demandOffers(demandId: $d0) … */
function offersQuery(count) {
  const indexes = [...Array(count).keys()];
  const variables = indexes.map((i) => `$d${i}: ID!`).join(", ");
  const fields = indexes.map((i) => `d${i}: demandOffers(demandId: $d${i}) { ${OFFER_FIELDS} }`).join("\n");
  return `query DemandOffers(${variables}) {\n${fields}\n}`;
}

const PUBLISH = `mutation PublishDemand($input: PublishFinancingDemandInput!) {
  publishFinancingDemand(input: $input) { demand { id } ${USER_ERROR} }
}`;

const CLOSE = `mutation CloseDemand($id: ID!) {
  closeFinancingDemand(id: $id) { demand { id status } ${USER_ERROR} }
}`;

const UNIT_TEXT = { wan: "万元", yuan: "元" };

/** Draw #demand. */
export async function render(container) {
  const listArea = el("div");
  const reload = () => render(container);
  showWithNotice(
    container,
    el("p", { class: "lead" }, "发布融资需求后，平台为您匹配贷款产品，符合条件的金融机构也可以邀请您申请。"),
    publishCard(reload),
    card("我的融资需求", "fin-card", listArea),
  );
  await loadInto(listArea, loadDemands, (demands) => demandList(demands, reload));
}

// ---- publishing -----------------------------------------------------------------------------

function unitChoice() {
  return radioGroup({
    name: "amountUnit",
    legend: "金额单位",
    options: Object.entries(UNIT_TEXT),
    value: "wan",
    className: "fieldset fieldset-inline",
    rowClass: "radio-row",
  });
}

function publishCard(reload) {
  const amountField = buildField({
    name: "amount",
    label: "需求金额（万元）",
    required: true,
    requiredMessage: "请填写需求金额",
    hint: "例如填 50 即 50 万元（500,000 元）。",
    attributes: { inputmode: "decimal", autocomplete: "off" },
  });
  const amountLabel = amountField.querySelector("label");
  const amountInput = amountField.querySelector("input");
  const echo = el("p", { class: "amount-echo", "aria-live": "polite" });
  amountField.insertBefore(echo, amountField.querySelector(".field-error"));

  const form = el(
    "form",
    { class: "form", novalidate: true, "aria-label": "发布融资需求" },
    formErrorSlot(),
    unitChoice(),
    amountField,
    buildField({
      name: "termMonths",
      label: "期限（月）",
      required: true,
      requiredMessage: "请填写期限",
      hint: "按月填写，1 到 360 个月，如 12。",
      attributes: { inputmode: "numeric", autocomplete: "off" },
    }),
    buildField({
      name: "purpose",
      label: "资金用途",
      type: "textarea",
      required: true,
      requiredMessage: "请填写资金用途",
      hint: "4 到 500 字，例如“采购原材料”“购置运输车辆”。用途越具体，匹配越准确。",
      attributes: { maxlength: "500" },
    }),
    el("button", { type: "submit", class: "btn btn-primary btn-block", "data-busy-text": "正在发布…" }, "发布需求"),
  );

  const unit = () => readForm(form).amountUnit || "wan";
  const updateAmount = () => {
    amountLabel.textContent = `需求金额（${UNIT_TEXT[unit()]}）`;
    const yuan = amountInYuan(amountInput.value, unit());
    echo.textContent = yuan && Number(yuan) > 0 ? `即 ${formatYuan(yuan)}（${formatAmount(yuan)}）` : "";
  };
  form.addEventListener("change", updateAmount);
  amountInput.addEventListener("input", updateAmount);

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    submitForm(form, () => publish(form, reload));
  });
  return card("发布融资需求", "fin-card", form);
}

async function publish(form, reload) {
  const values = readForm(form);
  const amount = amountInYuan(values.amount, values.amountUnit || "wan");
  const termMonths = wholeNumber(values.termMonths);
  const local = [];
  if (amount === null) local.push({ field: "amount", message: "请填写数字金额，如 50 或 50.5" });
  if (termMonths === null) local.push({ field: "termMonths", message: "请用整数月数填写期限，如 12" });
  if (local.length > 0) {
    showUserErrors(form, local);
    return;
  }
  const input = { amount, termMonths, purpose: values.purpose };
  const payload = (await graphql(PUBLISH, { input })).publishFinancingDemand;
  if (payload.errors.length > 0) {
    showUserErrors(form, payload.errors);
    return;
  }
  leaveNotice(`融资需求已发布：${formatAmount(amount)}，${formatMonths(termMonths)}。可在下方查看匹配的产品。`);
  await reload();
}

// ---- my demands -----------------------------------------------------------------------------

async function loadDemands() {
  const demands = (await graphql(MY_DEMANDS)).myDemands;
  const chunks = [];
  for (let start = 0; start < demands.length; start += OFFERS_PER_QUERY) {
    chunks.push(demands.slice(start, start + OFFERS_PER_QUERY));
  }
  const answers = await Promise.all(
    chunks.map(async (chunk) => {
      const variables = Object.fromEntries(chunk.map((demand, i) => [`d${i}`, demand.id]));
      const data = await graphql(offersQuery(chunk.length), variables);
      return chunk.map((demand, i) => ({ ...demand, offers: data[`d${i}`] }));
    }),
  );
  return answers.flat();
}

function demandList(demands, reload) {
  if (demands.length === 0) return emptyState("您还没有发布融资需求。");
  return el(
    "ul",
    { class: "fin-list", "aria-label": "融资需求列表" },
    demands.map((demand) => el("li", {}, demandItem(demand, reload))),
  );
}

function demandItem(demand, reload) {
  const open = demand.status === "OPEN";
  return itemArticle(
    {
      title: `${formatAmount(demand.amount)} · ${formatMonths(demand.termMonths)}`,
      badge: statusBadge(DEMAND_STATUS, demand.status),
    },
    facts([
      ["需求金额", formatYuan(demand.amount)],
      ["期限", formatMonths(demand.termMonths)],
      ["资金用途", demand.purpose],
      ["发布时间", formatDateTime(demand.createdAt)],
      ["首次机构响应", demand.firstResponseAt ? formatDateTime(demand.firstResponseAt) : null],
      ["关闭时间", demand.closedAt ? formatDateTime(demand.closedAt) : null],
    ]),
    offerList(demand.offers),
    open
      ? actions(
          el("a", { class: "btn btn-primary btn-small", href: `#matches/${demand.id}` }, "查看匹配的产品"),
          closeButton(demand, reload),
        )
      : null,
  );
}

function offerList(offers) {
  if (offers.length === 0) {
    return el("p", { class: "hint" }, "暂未收到金融机构的申请邀请。");
  }
  return el(
    "div",
    { class: "offers" },
    el("h4", {}, `收到的申请邀请（${offers.length}）`),
    el(
      "ul",
      {},
      offers.map((offer) =>
        el(
          "li",
          { class: "offer" },
          el(
            "p",
            { class: "offer-head" },
            `${offer.institutionName} 邀请您申请 `,
            el("a", { href: `#product/${offer.product.id}` }, offer.product.name),
          ),
          offer.message ? el("p", { class: "offer-message" }, `“${offer.message}”`) : null,
          el("p", { class: "hint" }, formatDateTime(offer.createdAt)),
        ),
      ),
    ),
  );
}

function closeButton(demand, reload) {
  return confirmMutation({
    label: "关闭需求",
    question: "关闭后，金融机构不会再看到这项需求，也不能再据此邀请您申请。已提交的申请不受影响。确定关闭吗？",
    confirmText: "确认关闭",
    busyText: "正在关闭…",
    mutate: async () => (await graphql(CLOSE, { id: demand.id })).closeFinancingDemand,
    notice: "融资需求已关闭。",
    reload,
  });
}
