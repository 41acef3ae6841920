// consents.js — owns the "授权管理" view (#consents): the enterprise's authorisations to
// institutions (who, which data, what for, until when, status) with 撤销; and #consents/new, a
// new authorisation: choose the institution, the data, the purpose and the period, read exactly
// what will be shared (the consent text the server will store), then 确认授权 or 返回修改.

import { graphql } from "../api.js";
import { checkboxField } from "../fields.js";
import { buildField, formErrorSlot, readForm, showUserErrors, submitForm } from "../form.js";
import { formatDateTime } from "../format.js";
import { INSTITUTION_KIND_LABELS, label } from "../labels.js";
import { ACCESS_PURPOSE_LABELS, AUTHORIZATION_STATUS, statusBadge } from "../statuses.js";
import { backLink, card, el, facts, loadInto, uniqueId } from "../ui.js";
import {
  IDENTITY_SCOPE,
  actions,
  confirmMutation,
  itemArticle,
  leaveNotice,
  pagedList,
  showWithNotice,
} from "./finance_common.js";

const PAGE_SIZE = 20;
const DEFAULT_DAYS = 90;
const USER_ERROR = "errors { code field message }";

const MY_AUTHORIZATIONS = `query MyAuthorizations($first: Int!, $after: ID) {
  myAuthorizations(first: $first, after: $after) {
    id institutionName scopeLabels purposeLabel grantedAt validUntil revokedAt status consentVersion consentText
  }
}`;

const REVOKE = `mutation Revoke($id: ID!) {
  revokeAuthorization(id: $id) { authorization { id status } ${USER_ERROR} }
}`;

const CHOICES = `query GrantChoices { institutions { id name kind } grantableScopes { code label } }`;

const PREVIEW = `query ConsentPreview($input: GrantAuthorizationInput!) {
  consentPreview(input: $input) { version title text ${USER_ERROR} }
}`;

const GRANT = `mutation Grant($input: GrantAuthorizationInput!) {
  grantAuthorization(input: $input) { authorization { id institutionName } ${USER_ERROR} }
}`;

/** Draw #consents (the list) or #consents/new (a new authorisation). */
export async function render(container, context) {
  if (context.arg === "new") {
    await renderNew(container, context);
    return;
  }
  await renderList(container, context);
}

// ---- the list --------------------------------------------------------------------------------

async function renderList(container, context) {
  const listArea = el("div");
  showWithNotice(
    container,
    el("p", { class: "lead" }, "金融机构查询本企业的非公开信息须经您授权。您可以随时撤销，撤销即时生效。"),
    actions(el("a", { class: "btn btn-primary", href: "#consents/new" }, "新增授权")),
    card("我的授权", "fin-card", listArea),
  );
  await pagedList(listArea, {
    fetchPage: async (after) => (await graphql(MY_AUTHORIZATIONS, { first: PAGE_SIZE, after })).myAuthorizations,
    renderItem: (authorization) => authorizationItem(authorization, () => renderList(container, context)),
    emptyText: "您还没有向任何金融机构授权。",
    pageSize: PAGE_SIZE,
    listLabel: "授权列表",
  });
}

function authorizationItem(authorization, reload) {
  const revoked = authorization.status === "REVOKED";
  return itemArticle(
    { title: authorization.institutionName, badge: statusBadge(AUTHORIZATION_STATUS, authorization.status) },
    facts([
      ["授权的信息", authorization.scopeLabels.join("、")],
      ["用途", authorization.purposeLabel],
      ["授权时间", formatDateTime(authorization.grantedAt)],
      [revoked ? "原定有效期至" : "有效期至", formatDateTime(authorization.validUntil)],
      ["撤销时间", revoked ? formatDateTime(authorization.revokedAt) : null],
      ["授权编号", authorization.id],
    ]),
    el(
      "details",
      { class: "fin-details" },
      el("summary", {}, "查看授权书全文"),
      consentParagraphs(authorization.consentText),
      el("p", { class: "hint" }, `授权书版本：${authorization.consentVersion}`),
    ),
    authorization.status === "ACTIVE" ? revokeButton(authorization, reload) : null,
  );
}

function revokeButton(authorization, reload) {
  return confirmMutation({
    label: "撤销",
    question: `撤销后，${authorization.institutionName} 将立即不能再查询本企业的这些信息（此前已进行的查询不受影响）。确定撤销吗？`,
    confirmText: "确认撤销",
    busyText: "正在撤销…",
    mutate: async () => (await graphql(REVOKE, { id: authorization.id })).revokeAuthorization,
    notice: `已撤销对 ${authorization.institutionName} 的授权，即时生效。`,
    reload,
  });
}

/** The consent text, one paragraph per line; the separate identity clause stands out. */
function consentParagraphs(text) {
  return el(
    "div",
    { class: "consent-text" },
    String(text || "")
      .split("\n")
      .filter((line) => line.trim())
      .map((line) => el("p", { class: line.includes("单独同意") ? "consent-identity" : null }, line)),
  );
}

// ---- a new authorisation -------------------------------------------------------------------

async function renderNew(container, context) {
  await loadInto(
    container,
    async () => graphql(CHOICES),
    (choices) => newGrantScreens(choices, context),
  );
}

function newGrantScreens(choices, context) {
  const form = grantForm(choices);
  const preview = el("div", { hidden: true });
  const intro = el("p", { class: "lead" }, "授权后，该机构可在期限内为所选用途查询您选择的信息。每一次查询都会记录，您可在“查询记录”中查看。");
  const back = backLink("#consents", "返回我的授权");

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    submitForm(form, async () => {
      const input = grantInput(form);
      if (!input) return;
      const payload = (await graphql(PREVIEW, { input })).consentPreview;
      if (payload.errors.length > 0) {
        showUserErrors(form, payload.errors);
        return;
      }
      showPreview(preview, { form, input, payload, choices, context });
    });
  });
  return [back, intro, form, preview];
}

function grantForm(choices) {
  const scopes = choices.grantableScopes.filter((scope) => scope.code !== IDENTITY_SCOPE);
  const identity = choices.grantableScopes.find((scope) => scope.code === IDENTITY_SCOPE);
  const scopeLegend = uniqueId("scopes-legend");
  return el(
    "form",
    { class: "card form", novalidate: true, "aria-label": "新增授权" },
    el("h2", {}, "新增授权"),
    formErrorSlot(),
    buildField({
      name: "institutionId",
      label: "授权给哪家金融机构",
      type: "select",
      required: true,
      requiredMessage: "请选择金融机构",
      options: [
        ["", "请选择"],
        ...choices.institutions.map((i) => [i.id, `${i.name}（${label(INSTITUTION_KIND_LABELS, i.kind)}）`]),
      ],
    }),
    el(
      "fieldset",
      { class: "fieldset", "aria-describedby": `${scopeLegend}-hint` },
      el("legend", { id: scopeLegend }, "授权查询的信息（可多选）"),
      el("p", { class: "hint", id: `${scopeLegend}-hint` }, "只有您勾选的类别可被查询。行政许可、行政处罚等公开信息无需授权。"),
      el(
        "div",
        { class: "check-grid" },
        scopes.map((scope) => checkboxField({ name: "scopes", label: scope.label, value: scope.code, multiple: true })),
      ),
      identity
        ? el(
            "div",
            { class: "identity-choice" },
            el("p", { class: "sentences-title" }, "敏感个人信息（需单独同意）"),
            checkboxField({
              name: "scopes",
              label: `${identity.label}（完整号码）`,
              value: identity.code,
              multiple: true,
              hint: "不勾选时，机构只能看到脱敏号码（如 371302********1239）。",
            }),
          )
        : null,
      el("p", { class: "field-error", "data-error-for": "scopes", role: "alert", hidden: true }),
    ),
    buildField({
      name: "purpose",
      label: "用途",
      type: "select",
      value: "PRE_LOAN",
      options: Object.entries(ACCESS_PURPOSE_LABELS),
      hint: "机构只能为所选用途查询。",
    }),
    buildField({
      name: "validDays",
      label: "授权期限（天）",
      type: "number",
      value: String(DEFAULT_DAYS),
      required: true,
      requiredMessage: "请填写授权期限",
      hint: "1 到 365 天，自确认之时起计算；到期自动失效。",
      attributes: { inputmode: "numeric", min: "1", max: "365", step: "1" },
    }),
    el("button", { type: "submit", class: "btn btn-primary btn-block", "data-busy-text": "正在生成…" }, "下一步：查看将要共享的内容"),
  );
}

/** The API input from the form, or null (with the message shown) when the period is not a number. */
function grantInput(form) {
  const values = readForm(form);
  const days = Number(values.validDays);
  if (!Number.isInteger(days)) {
    showUserErrors(form, [{ field: "validDays", message: "请填写整数天数，1 到 365 天" }]);
    return null;
  }
  return {
    institutionId: values.institutionId,
    scopes: values.scopes,
    purpose: values.purpose,
    validDays: days,
  };
}

function showPreview(area, { form, input, payload, choices, context }) {
  const institution = choices.institutions.find((i) => i.id === input.institutionId);
  const scopeLabels = Object.fromEntries(choices.grantableScopes.map((s) => [s.code, s.label]));
  const shared = input.scopes.filter((code) => code !== IDENTITY_SCOPE).map((code) => scopeLabels[code] || code);
  const withIdentity = input.scopes.includes(IDENTITY_SCOPE);
  const until = new Date(Date.now() + input.validDays * 86400000).toISOString();
  const identityLine = String(payload.text || "")
    .split("\n")
    .find((line) => line.includes("单独同意"));

  const confirmForm = el(
    "form",
    { class: "form", novalidate: true, "aria-label": "确认授权" },
    formErrorSlot(),
    withIdentity
      ? checkboxField({
          name: "identityConsent",
          label: "我（法定代表人）已阅读并单独同意上述敏感个人信息条款",
          required: true,
          requiredMessage: "授权查看完整身份证号码须单独勾选同意",
          errorFor: "identityConsent",
        })
      : null,
    actions(
      el("button", { type: "submit", class: "btn btn-primary", "data-busy-text": "正在授权…" }, "确认授权"),
      el("button", { type: "button", class: "btn btn-secondary", onclick: () => backToForm(area, form) }, "返回修改"),
    ),
  );
  confirmForm.addEventListener("submit", (event) => {
    event.preventDefault();
    submitForm(confirmForm, () => grant(confirmForm, { area, form, input, payload, institution, context }));
  });

  const sharedCard = card(
    "将要共享的内容",
    "fin-card consent-summary",
    facts([
      ["授权给", institution ? institution.name : input.institutionId],
      ["共享的信息", shared.length > 0 ? shared.join("、") : "（无，仅身份核验）"],
      ["用途", label(ACCESS_PURPOSE_LABELS, input.purpose)],
      ["有效期", `自确认之时起 ${input.validDays} 天，约至 ${formatDateTime(until)}`],
      ["法定代表人身份证号码", withIdentity ? "完整号码（单独同意，见下）" : "不共享（机构只能看到脱敏号码）"],
    ]),
    withIdentity && identityLine
      ? el(
          "div",
          { class: "identity-clause", role: "note" },
          el("h3", {}, "单独同意：敏感个人信息"),
          el("p", {}, identityLine),
        )
      : null,
    el("h3", {}, payload.title || "授权书"),
    el("p", { class: "hint" }, `以下为将要保存的授权书全文（版本 ${payload.version}）：`),
    consentParagraphs(payload.text),
    confirmForm,
  );
  area.replaceChildren(sharedCard);
  form.hidden = true;
  area.hidden = false;
  sharedCard.querySelector("h2").setAttribute("tabindex", "-1");
  sharedCard.querySelector("h2").focus();
}

function backToForm(area, form) {
  area.hidden = true;
  area.replaceChildren();
  form.hidden = false;
  form.querySelector("select, input").focus();
}

async function grant(confirmForm, { area, form, input, payload, institution, context }) {
  const variables = { input: { ...input, consentVersion: payload.version } };
  const outcome = (await graphql(GRANT, variables)).grantAuthorization;
  if (outcome.errors.length === 0) {
    leaveNotice(`已授权 ${institution ? institution.name : "该机构"} 查询所选信息。`);
    context.go("consents");
    return;
  }
  const onForm = outcome.errors.filter((e) => ["institutionId", "scopes", "purpose", "validDays"].includes(e.field));
  if (onForm.length > 0) {
    backToForm(area, form);
    showUserErrors(form, onForm);
    return;
  }
  showUserErrors(confirmForm, outcome.errors);
}
