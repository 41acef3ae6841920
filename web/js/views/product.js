// product.js — owns the "产品详情" view (#product/<id>): one loan product (institution, amount,
// rate and term ranges, area, conditions in Chinese), what applying will share with the
// institution and under which authorisation (applicationPreview), and 申请 (applyForProduct,
// with the chosen open demand), after which it goes to #applications.

import { amountInYuan, wholeNumber } from "../amounts.js";
import { graphql } from "../api.js";
import { checkboxField } from "../fields.js";
import { buildField, formErrorSlot, readForm, showUserErrors, submitForm } from "../form.js";
import { formatAmount, formatMonths } from "../format.js";
import { label } from "../labels.js";
import { ACCESS_PURPOSE_LABELS } from "../statuses.js";
import { backLink, card, el, emptyState, facts, loadInto } from "../ui.js";
import {
  amountRange,
  leaveNotice,
  rateRange,
  rememberedDemand,
  sentenceList,
  termRange,
} from "./finance_common.js";

const USER_ERROR = "errors { code field message }";

const PRODUCT = `query ProductView($id: ID!) {
  loanProduct(id: $id) {
    id name productTypeLabel description tags status
    minAmount maxAmount minTermMonths maxTermMonths minAnnualRate maxAnnualRate
    regionNames eligibilityText institution { name }
  }
  applicationPreview(productId: $id) {
    scopeLabels purpose reusedAuthorizationId needsConsent consentVersion consentTitle consentText ${USER_ERROR}
  }
  myDemands(status: OPEN, first: 20) { id amount termMonths purpose }
}`;

const APPLY = `mutation Apply($input: ApplyForProductInput!) {
  applyForProduct(input: $input) { application { id status } ${USER_ERROR} }
}`;

/** Draw #product/<id>. */
export async function render(container, context) {
  const demand = rememberedDemand();
  const backTo = demand ? `#matches/${demand}` : "#matches";
  const back = backLink(backTo, "返回产品匹配");
  const body = el("div");
  container.replaceChildren(back, body);
  if (!context.arg) {
    body.replaceChildren(emptyState("没有指定产品。请从“产品匹配”中选择。"));
    return;
  }
  await loadInto(
    body,
    () => graphql(PRODUCT, { id: context.arg }),
    (data) => productView(data, context),
  );
}

function productView({ loanProduct: product, applicationPreview: preview, myDemands: demands }, context) {
  if (!product) return emptyState("找不到该产品，可能已下架。请返回“产品匹配”查看其他产品。");
  return [
    productCard(product),
    card("准入条件", "fin-card", conditionList(product)),
    sharingCard(product, preview),
    applyCard(product, preview, demands, context),
  ];
}

function productCard(product) {
  return card(
    product.name,
    "fin-card product-card",
    el(
      "div",
      { class: "fin-item-head" },
      el("p", { class: "product-institution" }, product.institution.name),
      el("span", { class: "badge" }, product.productTypeLabel),
    ),
    facts([
      ["额度", amountRange(product)],
      ["年利率", rateRange(product)],
      ["期限", termRange(product)],
      ["服务地区", product.regionNames.join("、") || "全国"],
      ["特点", product.tags.length > 0 ? product.tags.join("、") : null],
    ]),
    product.description ? el("p", { class: "product-description" }, product.description) : null,
  );
}

function conditionList(product) {
  if (product.eligibilityText.length === 0) return el("p", {}, "无特别准入条件。");
  return el("ul", { class: "plain-list" }, product.eligibilityText.map((text) => el("li", {}, text)));
}

function consentBlock(preview) {
  return el(
    "div",
    { class: "consent-block" },
    el("h3", {}, preview.consentTitle || "授权书"),
    el("p", { class: "hint" }, `申请时将保存以下授权书（版本 ${preview.consentVersion}）：`),
    el(
      "div",
      { class: "consent-text" },
      String(preview.consentText || "")
        .split("\n")
        .filter((line) => line.trim())
        .map((line) => el("p", {}, line)),
    ),
  );
}

function sharingCard(product, preview) {
  if (preview.errors.length > 0) {
    const message = preview.errors.map((e) => e.message).join("\n");
    return card("申请时将共享的信息", "fin-card", el("p", { class: "notice notice-error", role: "alert" }, message));
  }
  let basis;
  if (preview.scopeLabels.length === 0) basis = el("p", {}, "申请此产品无需授权查询非公开信息。");
  else if (preview.reusedAuthorizationId) {
    basis = el(
      "p",
      {},
      `将沿用您已作出的授权（编号 ${preview.reusedAuthorizationId}），不新增授权。`,
      el("a", { href: "#consents" }, "查看我的授权"),
    );
  } else basis = el("p", {}, "申请时将新增一份授权，请先阅读授权书全文。申请后可在“授权管理”中查看或撤销。");
  return card(
    "申请时将共享的信息",
    "fin-card",
    facts([
      ["共享给", product.institution.name],
      ["共享的信息", preview.scopeLabels.length > 0 ? preview.scopeLabels.join("、") : "无"],
      ["用途", label(ACCESS_PURPOSE_LABELS, preview.purpose)],
    ]),
    basis,
    preview.needsConsent ? consentBlock(preview) : null,
  );
}

function defaultDemand(demands) {
  const remembered = rememberedDemand();
  if (remembered === "none") return "";
  if (remembered && demands.some((d) => d.id === remembered)) return remembered;
  return demands[0]?.id ?? "";
}

function applyCard(product, preview, demands, context) {
  if (product.status !== "ACTIVE") {
    return card("申请", "fin-card", el("p", { class: "notice notice-error" }, "该产品暂停受理申请。"));
  }
  const form = el(
    "form",
    { class: "form", novalidate: true, "aria-label": "申请该产品" },
    formErrorSlot(),
    demands.length > 0
      ? buildField({
          name: "demandId",
          label: "关联的融资需求",
          type: "select",
          value: defaultDemand(demands),
          options: [
            ...demands.map((d) => [d.id, `${formatAmount(d.amount)} · ${formatMonths(d.termMonths)} · ${d.purpose}`]),
            ["", "不关联融资需求"],
          ],
          hint: "申请金额和期限默认取自所选需求。",
        })
      : el("p", { class: "hint" }, "您还没有开放的融资需求，请填写申请金额和期限，或先发布融资需求。"),
    buildField({
      name: "amount",
      label: demands.length > 0 ? "申请金额（万元，选填）" : "申请金额（万元）",
      hint: `以万元为单位，如 50 即 50 万元。本产品额度 ${amountRange(product)}。`,
      attributes: { inputmode: "decimal", autocomplete: "off" },
    }),
    buildField({
      name: "termMonths",
      label: demands.length > 0 ? "申请期限（月，选填）" : "申请期限（月）",
      hint: `本产品期限 ${termRange(product)}。`,
      attributes: { inputmode: "numeric", autocomplete: "off" },
    }),
    checkboxField({
      name: "referralConsent",
      label: "如未获批准，同意平台向本企业推荐其他匹配的产品",
    }),
    preview.needsConsent
      ? checkboxField({
          name: "consentAccepted",
          label: "我已阅读并同意上方的授权书",
          required: true,
          requiredMessage: "申请前请阅读并勾选同意授权书",
          errorFor: "consentVersion",
        })
      : null,
    el("button", { type: "submit", class: "btn btn-primary btn-block", "data-busy-text": "正在提交申请…" }, "申请"),
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    submitForm(form, () => apply(form, product, preview, context));
  });
  return card("申请", "fin-card", sentenceList("提交后：", ["金融机构审批后，结果会显示在“我的申请”和“消息”中。", "批准前您可以随时撤回申请。"]), form);
}

/**
 * The Idempotency-Key of this application: the same while the same input is sent again (a retry
 * after a lost answer returns the first application instead of a second), new when it changes.
 */
function idempotencyKey(form, input) {
  const body = JSON.stringify(input);
  if (form.dataset.idempotencyBody !== body) {
    const bytes = crypto.getRandomValues(new Uint8Array(16));
    form.dataset.idempotencyKey = Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
    form.dataset.idempotencyBody = body;
  }
  return form.dataset.idempotencyKey;
}

async function apply(form, product, preview, context) {
  const values = readForm(form);
  const input = { productId: product.id, referralConsent: values.referralConsent };
  if (values.demandId) input.demandId = values.demandId;
  const local = [];
  if (values.amount) {
    input.amount = amountInYuan(values.amount, "wan");
    if (input.amount === null) local.push({ field: "amount", message: "请填写数字金额（万元），如 50" });
  }
  if (values.termMonths) {
    input.termMonths = wholeNumber(values.termMonths);
    if (input.termMonths === null) local.push({ field: "termMonths", message: "请用整数月数填写期限，如 12" });
  }
  if (!values.demandId) {
    if (!values.amount) local.push({ field: "amount", message: "未关联融资需求时，请填写申请金额" });
    if (!values.termMonths) local.push({ field: "termMonths", message: "未关联融资需求时，请填写申请期限" });
  }
  if (local.length > 0) {
    showUserErrors(form, local);
    return;
  }
  if (preview.needsConsent) input.consentVersion = preview.consentVersion;
  const payload = (await graphql(APPLY, { input }, { "Idempotency-Key": idempotencyKey(form, input) })).applyForProduct;
  if (payload.errors.length > 0) {
    showUserErrors(form, payload.errors);
    return;
  }
  leaveNotice(`已向 ${product.institution.name} 提交「${product.name}」的申请，请等待审批。`);
  context.go("applications");
}
