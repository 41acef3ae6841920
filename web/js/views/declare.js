// declare.js — owns #declare (自主申报): the firm picks a declarable category
// (declarationCategories), fills the form built from that category's fields, reads the
// 《信用承诺书》 (commitmentText("declaration")) in full and ticks "我已阅读并承诺…", then submits
// (submitDeclaration; the server's messages appear next to their fields — "content.<name>",
// "acceptCommitment"). Below, the firm's current declarations with their status (待核查 …).

import { graphql } from "../api.js";
import { formatDay } from "../dates.js";
import { buildField, formErrorSlot, readForm, showUserErrors, submitForm } from "../form.js";
import { formatDateTime } from "../format.js";
import { DECLARATION_STATUS, statusBadge } from "../statuses.js";
import { badge, card, el, emptyState, facts, loadInto } from "../ui.js";
import { commitmentBlock, fieldRows, freshMount } from "./credit_common.js";

const FORM_DATA = `query DeclarationForm {
  declarationCategories { code label fields { name label type required values } }
  commitmentText(kind: "declaration") { kind version title text }
}`;
const MINE = `query MyDeclarations {
  myCreditProfile {
    declarations { id category categoryLabel content status statusLabel declaredAt reviewedAt reviewReason }
  }
}`;
const SUBMIT = `mutation SubmitDeclaration($input: SubmitDeclarationInput!) {
  submitDeclaration(input: $input) { declaration { id status statusLabel } errors { code field message } }
}`;
const CONTENT = "content.";
const NUMERIC_HINTS = { money: "单位：元", year: "四位数字，如 2025" };

/** buildField options for one declarable field (types as in the sharing list). */
function fieldOptions(field) {
  const base = {
    name: `${CONTENT}${field.name}`,
    label: field.required ? field.label : `${field.label}（选填）`,
    required: field.required,
    requiredMessage: `请填写${field.label}`,
    hint: NUMERIC_HINTS[field.type] ?? null,
  };
  switch (field.type) {
    case "date":
      return { ...base, type: "date" };
    case "enum":
      return { ...base, type: "select", options: [["", "请选择"], ...field.values.map((value) => [value, value])] };
    case "boolean":
      return { ...base, type: "select", options: [["", "请选择"], ["true", "是"], ["false", "否"]] };
    case "year":
    case "integer":
      return { ...base, attributes: { inputmode: "numeric", autocomplete: "off" } };
    case "money":
    case "decimal":
      return { ...base, attributes: { inputmode: "decimal", autocomplete: "off" } };
    default:
      return { ...base, attributes: { autocomplete: "off" } };
  }
}

function fillFields(holder, category) {
  if (!category) {
    holder.replaceChildren(el("p", { class: "hint" }, "选择申报类别后填写申报内容。"));
    return;
  }
  holder.replaceChildren(
    el("h3", {}, `${category.label}信息`),
    ...category.fields.map((field) => buildField(fieldOptions(field))),
  );
}

/** The submitDeclaration input from the form's values (empty fields left out). */
function declarationInput(values) {
  const content = {};
  for (const [name, value] of Object.entries(values)) {
    if (name.startsWith(CONTENT) && value !== "") content[name.slice(CONTENT.length)] = value;
  }
  return {
    category: values.category,
    content,
    acceptCommitment: values.acceptCommitment === true,
    commitmentVersion: values.commitmentVersion || null,
  };
}

function declarationForm({ declarationCategories: categories, commitmentText }, onDone) {
  const byCode = Object.fromEntries(categories.map((category) => [category.code, category]));
  const holder = el("div", { class: "declare-fields" });
  const picker = buildField({
    name: "category",
    label: "申报类别",
    type: "select",
    required: true,
    requiredMessage: "请选择申报类别",
    options: [["", "请选择申报类别"], ...categories.map((category) => [category.code, category.label])],
  });
  const select = picker.querySelector("select");
  select.addEventListener("change", () => fillFields(holder, byCode[select.value]));
  fillFields(holder, null);
  const form = el(
    "form",
    { class: "form declare-form", novalidate: true },
    formErrorSlot(),
    picker,
    holder,
    commitmentBlock(commitmentText, `我已阅读并承诺遵守《${commitmentText.title}》，所填信息真实、准确、完整`),
    el("button", { type: "submit", class: "btn btn-primary btn-block", "data-busy-text": "正在提交…" }, "提交申报"),
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    submitForm(form, async () => {
      const payload = (await graphql(SUBMIT, { input: declarationInput(readForm(form)) })).submitDeclaration;
      if (payload.errors.length > 0) {
        showUserErrors(form, payload.errors);
        return;
      }
      form.reset();
      fillFields(holder, null);
      onDone(payload.declaration);
    });
  });
  return card(
    "填写申报",
    "declare-card",
    el(
      "p",
      { class: "hint" },
      "可补充官方尚未归集的信息。同一类别再次申报将替代上一次的申报；"
        + "信息经政府部门核查，不实的将作为失信承诺记入信用记录。",
    ),
    form,
  );
}

function declarationItem(declaration, categories) {
  const category = categories.find((item) => item.code === declaration.category);
  const headingId = `declaration-${declaration.id}-title`;
  const content = fieldRows(declaration.content || {}, category);
  return el(
    "li",
    {},
    el(
      "article",
      { class: "declaration-card", "aria-labelledby": headingId },
      el(
        "div",
        { class: "declaration-head" },
        el("h3", { id: headingId }, declaration.categoryLabel),
        statusBadge(DECLARATION_STATUS, declaration.status, declaration.statusLabel),
        badge("自主填报"),
      ),
      facts([
        ["申报日期", formatDay(declaration.declaredAt)],
        ...content,
        ["核查时间", declaration.reviewedAt ? formatDateTime(declaration.reviewedAt) : null],
        ["核查意见", declaration.reviewReason],
      ]),
    ),
  );
}

function declarationList(declarations, categories) {
  if (declarations.length === 0) return emptyState("尚未自主申报信息。");
  return el("ul", { class: "declaration-cards" }, declarations.map((item) => declarationItem(item, categories)));
}

/** Draw #declare: the declaration form and the firm's declarations. */
export async function render(container) {
  await loadInto(
    freshMount(container),
    () => Promise.all([graphql(FORM_DATA), graphql(MINE)]),
    ([formData, mine]) => {
      const categories = formData.declarationCategories;
      const notice = el("p", { class: "notice notice-ok", tabindex: "-1", hidden: true });
      const listBody = el("div", {}, declarationList(mine.myCreditProfile.declarations, categories));
      const done = (declaration) => {
        notice.textContent = `自主申报已提交，当前状态：${declaration.statusLabel}。政府部门核查后将通过消息通知您。`;
        notice.hidden = false;
        notice.focus();
        loadInto(
          listBody,
          () => graphql(MINE),
          (data) => declarationList(data.myCreditProfile.declarations, categories),
        );
      };
      return [
        declarationForm(formData, done),
        card("我的自主申报", "declare-mine", notice, listBody),
        el("p", { class: "switch-link" }, el("a", { href: "#credit" }, "返回信用档案")),
      ];
    },
  );
}
