// product_edit.js — owns the bank console's product form (#bank-product/new to publish,
// #bank-product/<id> to change one): every field of PublishLoanProductInput /
// UpdateLoanProductInput, amounts typed in 万元 and rates in % (converted exactly to 元 and
// fractions), the eligibility rule in the rule editor, and the server's messages next to each field.

import { fractionToPercent, yuanToWan } from "../amounts.js";
import { graphql } from "../api.js";
import { checkboxField, splitList } from "../fields.js";
import { buildField, formErrorSlot, readForm, showUserErrors, submitForm } from "../form.js";
import { formatDateTime } from "../format.js";
import { PRODUCT_STATUS, PRODUCT_TYPE_LABELS, statusBadge } from "../statuses.js";
import { backLink, card, el, emptyState, loadInto, uniqueId } from "../ui.js";
import { focusInvalid, forPercentFields, readNumber } from "./bank_shared.js";
import { ruleEditor } from "./rule_editor.js";

const PRODUCT_FIELDS = `id code name productType status version updatedAt
  minAmount maxAmount minTermMonths maxTermMonths minAnnualRate maxAnnualRate
  regionCodes regionNames description tags eligibility requiredScopes targetGrade`;
const LOAD = `query BankProduct($id: ID!) {
  loanProduct(id: $id) { ${PRODUCT_FIELDS} institution { id } }
  grantableScopes { code label }
  me { institution { id } }
}`;
const SCOPES = `query GrantableScopes { grantableScopes { code label } }`;
const PUBLISH = `mutation PublishProduct($input: PublishLoanProductInput!) {
  publishLoanProduct(input: $input) { product { id name version } errors { code field message } }
}`;
const UPDATE = `mutation UpdateProduct($input: UpdateLoanProductInput!) {
  updateLoanProduct(input: $input) { product { id name version } errors { code field message } }
}`;
const GRADES = ["A+", "A", "B", "C", "D"];
const SCOPE_HINT = "企业申请时将授权本机构为贷中审批查询这些信息（90 天）。公开信息无需授权，不必勾选。";
const TAGS_HINT = "用顿号或逗号分隔，至多 10 个，每个至多 20 个字符，如：纯信用、随借随还";
const UNITS_HINT = "额度以万元填写（1 万元 = 10,000 元），年利率以百分数填写（4.35 即 4.35%），提交时换算。";
const MAX_AMOUNT_HINT = "不低于最低额度，不超过 10 亿元（100,000 万元）";
const REGION_HINT = "2、4 或 6 位代码，用空格或逗号分隔，如 37（山东省）、3713（临沂市）；不填表示全国。";
const NEW_LEAD = "填写产品信息后发布，符合准入规则的企业即可在产品匹配中看到并申请。";
const VERSION_NOTE = "保存后生成新版本；已提交的申请仍按申请时的版本审批。内容未变时不生成新版本。";
const EXAMPLE_RULE = {
  all: [
    { fact: "years_in_business", op: "gte", value: 2 },
    { not: { fact: "on_dishonest_list", op: "eq", value: true } },
  ],
};

function field(options) {
  const attributes = { autocomplete: "off", ...(options.attributes ?? {}) };
  return buildField({ ...options, attributes });
}

function numberField(name, label, value, kind, hint) {
  return field({
    name,
    label,
    value,
    hint,
    required: true,
    requiredMessage: `请填写${label.replace(/（.*）/, "")}`,
    attributes: { inputmode: kind === "months" ? "numeric" : "decimal" },
  });
}

function scopeBox(scope, chosen) {
  return checkboxField({
    name: "requiredScopes",
    label: scope.label,
    value: scope.code,
    multiple: true,
    checked: chosen.includes(scope.code),
    className: "bank-check",
  });
}

function scopeChoices(scopes, chosen) {
  const hintId = uniqueId("scope-hint");
  const errorId = uniqueId("scope-error");
  return el(
    "fieldset",
    { class: "field bank-checks", "aria-describedby": `${hintId} ${errorId}` },
    el("legend", {}, "申请时须企业授权的信息"),
    el("p", { class: "hint", id: hintId }, SCOPE_HINT),
    el("div", { class: "bank-check-grid" }, scopes.map((scope) => scopeBox(scope, chosen))),
    el("p", { class: "field-error", id: errorId, "data-error-for": "requiredScopes", role: "alert", hidden: true }),
  );
}

function basicsCard(product) {
  const grades = [["", "不设"], ...GRADES.map((g) => [g, g])];
  return card(
    "基本信息",
    "bank-form-card",
    el(
      "div",
      { class: "bank-form-grid" },
      field({
        name: "name",
        label: "产品名称",
        value: product?.name,
        required: true,
        hint: "2 到 100 个字符",
        attributes: { maxlength: "100" },
      }),
      field({
        name: "code",
        label: "产品代码（可选）",
        value: product?.code,
        hint: "本机构内唯一，字母、数字或 _ . -",
        attributes: { maxlength: "60", spellcheck: "false" },
      }),
      field({
        name: "productType",
        label: "产品类型",
        type: "select",
        options: Object.entries(PRODUCT_TYPE_LABELS),
        value: product?.productType ?? "CREDIT",
      }),
      field({
        name: "targetGrade",
        label: "目标客户最低信用等级（可选）",
        type: "select",
        options: grades,
        value: product?.targetGrade ?? "",
        hint: "用于匹配排序中的获批可能",
      }),
    ),
    field({
      name: "description",
      label: "产品介绍",
      type: "textarea",
      value: product?.description,
      hint: "至多 2000 个字符",
      attributes: { maxlength: "2000", rows: "4" },
    }),
    field({ name: "tags", label: "标签（可选）", value: product?.tags.join("、"), hint: TAGS_HINT }),
  );
}

function termsCard(product) {
  const p = product ?? {};
  return card(
    "额度、期限与利率",
    "bank-form-card",
    el("p", { class: "hint bank-card-hint" }, UNITS_HINT),
    el(
      "div",
      { class: "bank-form-grid" },
      numberField("minAmount", "最低额度（万元）", yuanToWan(p.minAmount), "wan", "大于 0"),
      numberField("maxAmount", "最高额度（万元）", yuanToWan(p.maxAmount), "wan", MAX_AMOUNT_HINT),
      numberField("minTermMonths", "最短期限（月）", p.minTermMonths, "months", "1 到 360 个月"),
      numberField("maxTermMonths", "最长期限（月）", p.maxTermMonths, "months", "不短于最短期限"),
      numberField("minAnnualRate", "最低年利率（%）", fractionToPercent(p.minAnnualRate), "percent", "0% 到 24%"),
      numberField("maxAnnualRate", "最高年利率（%）", fractionToPercent(p.maxAnnualRate), "percent", "不低于最低年利率"),
    ),
  );
}

function reachCard(product, scopes) {
  const current = product?.regionNames?.length ? `当前：${product.regionNames.join("、")}` : "";
  return card(
    "服务地区与授权",
    "bank-form-card",
    field({
      name: "regionCodes",
      label: "服务地区（行政区划代码，可选）",
      value: product?.regionCodes.join(" "),
      hint: `${REGION_HINT}${current}`,
      attributes: { class: "mono", spellcheck: "false", inputmode: "numeric" },
    }),
    scopeChoices(scopes, product?.requiredScopes ?? []),
  );
}

/** The input of publishLoanProduct (without productId), or null when a field is bad here. */
function readInput(form, editor) {
  const values = readForm(form);
  const numbers = {
    minAmount: readNumber(form, "minAmount", values.minAmount, "wan"),
    maxAmount: readNumber(form, "maxAmount", values.maxAmount, "wan"),
    minTermMonths: readNumber(form, "minTermMonths", values.minTermMonths, "months"),
    maxTermMonths: readNumber(form, "maxTermMonths", values.maxTermMonths, "months"),
    minAnnualRate: readNumber(form, "minAnnualRate", values.minAnnualRate, "percent"),
    maxAnnualRate: readNumber(form, "maxAnnualRate", values.maxAnnualRate, "percent"),
  };
  const eligibility = editor.read();
  let ok = Object.values(numbers).every((v) => v !== undefined);
  if (eligibility === null) {
    editor.check(); // shows why the text is not JSON under the editor
    ok = false;
  }
  if (!ok) return null;
  return {
    name: values.name,
    code: values.code || null,
    productType: values.productType,
    ...numbers,
    regionCodes: splitList(values.regionCodes),
    description: values.description,
    tags: splitList(values.tags),
    eligibility,
    requiredScopes: values.requiredScopes ?? [],
    targetGrade: values.targetGrade || null,
  };
}

/** Errors inside the rule (field "eligibility.all[0].fact") go under the editor, with their path. */
function placeErrors(errors) {
  return forPercentFields(errors).map((e) => {
    if (!e.field || !e.field.startsWith("eligibility.")) return e;
    return { ...e, field: "eligibility", message: `${e.field}：${e.message}` };
  });
}

function savedMessage(before, saved) {
  if (!before) return `产品“${saved.name}”已发布（第 ${saved.version} 版），企业即可在产品匹配中看到。`;
  if (saved.version === before.version) return `“${saved.name}”的内容没有变化，未生成新版本。`;
  return `“${saved.name}”已保存为第 ${saved.version} 版；已提交的申请仍按申请时的版本审批。`;
}

async function save(form, editor, product, context) {
  const input = readInput(form, editor);
  if (!input) {
    focusInvalid(form);
    return;
  }
  const payload = product
    ? (await graphql(UPDATE, { input: { productId: product.id, ...input } })).updateLoanProduct
    : (await graphql(PUBLISH, { input })).publishLoanProduct;
  if (payload.errors.length > 0) {
    showUserErrors(form, placeErrors(payload.errors));
    return;
  }
  context.flash(savedMessage(product, payload.product)); // app.js keeps it for the list
  context.go("bank-products");
}

function summary(product) {
  return el(
    "div",
    { class: "bank-summary" },
    statusBadge(PRODUCT_STATUS, product.status),
    el("span", {}, `当前第 ${product.version} 版`),
    el("span", {}, `最近修改：${formatDateTime(product.updatedAt)}`),
  );
}

function buildForm(product, scopes, context) {
  const retired = product?.status === "RETIRED";
  const editor = ruleEditor({
    name: "eligibility",
    label: "准入规则（JSON，规则语言）",
    value: product ? product.eligibility : EXAMPLE_RULE,
  });
  const fields = el(
    "fieldset",
    { class: "bank-fieldset", disabled: retired },
    el("legend", { class: "bank-caption" }, product ? `修改“${product.name}”` : "发布新产品"),
    basicsCard(product),
    termsCard(product),
    reachCard(product, scopes),
    card("准入条件", "bank-form-card", editor.node),
  );
  const submit = el(
    "button",
    {
      type: "submit",
      class: "btn btn-primary",
      "data-busy-text": product ? "正在保存…" : "正在发布…",
      disabled: retired,
    },
    product ? "保存修改" : "发布产品",
  );
  const cancel = el("a", { class: "btn btn-secondary", href: "#bank-products" }, "取消");
  const form = el(
    "form",
    { class: "bank-product-form", novalidate: true },
    formErrorSlot(),
    fields,
    el("div", { class: "bank-form-actions" }, submit, cancel),
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    submitForm(form, () => save(form, editor, product, context));
  });
  return form;
}

function drawForm(product, scopes, context) {
  const retired = product?.status === "RETIRED";
  return [
    backLink("#bank-products", "返回产品列表"),
    product ? summary(product) : el("p", { class: "lead" }, NEW_LEAD),
    retired ? el("p", { class: "notice notice-error" }, "该产品已下架，不能再修改。") : null,
    product && !retired ? el("p", { class: "hint bank-card-hint" }, VERSION_NOTE) : null,
    buildForm(product, scopes, context),
  ].filter(Boolean);
}

/** Draw the form for a new product (arg "new") or for product `arg`. */
export async function render(container, context) {
  const id = context.arg;
  if (!id || id === "new") {
    await loadInto(
      container,
      () => graphql(SCOPES),
      (data) => drawForm(null, data.grantableScopes, context),
    );
    return;
  }
  await loadInto(
    container,
    () => graphql(LOAD, { id }),
    (data) => {
      const product = data.loanProduct;
      const mine = data.me.institution;
      if (!product || !mine || product.institution.id !== mine.id) {
        return [backLink("#bank-products", "返回产品列表"), emptyState("产品不存在，或不属于本机构。")];
      }
      return drawForm(product, data.grantableScopes, context);
    },
  );
}
