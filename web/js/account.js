// account.js — owns the "我的" view: the signed-in account, the verified enterprise's card,
// the prompt to verify, and the staff member's role and organisation. Values arrive already
// masked from the server and are shown as they are (always as text, never as HTML). A verified
// enterprise also gets the tiles that open its other views (views/registry.js).

import {
  ENTITY_TYPE_LABELS,
  INSTITUTION_KIND_LABELS,
  ROLE_LABELS,
  formatDate,
  formatDateTime,
  label,
} from "./labels.js";
import { card, el, facts } from "./ui.js";
import { tiles } from "./views/registry.js";

export function enterpriseCard(enterprise, verifiedAt) {
  return card(
    "企业信息",
    "card-enterprise",
    el(
      "div",
      { class: "enterprise-head" },
      el("p", { class: "enterprise-name" }, enterprise.name),
      el("span", { class: "badge badge-ok" }, "已实名认证"),
    ),
    facts([
      ["统一社会信用代码", enterprise.uscc, { mono: true }],
      ["主体类型", enterprise.entityTypeLabel || label(ENTITY_TYPE_LABELS, enterprise.entityType)],
      ["登记地", enterprise.regionName || "—"],
      ["法定代表人", enterprise.legalRepName],
      ["法定代表人身份证号码", enterprise.legalRepIdNumberMasked, { mono: true }],
      ["成立日期", formatDate(enterprise.establishedOn)],
      ["登记状态", enterprise.registrationStatus || "—"],
      ["认证时间", verifiedAt ? formatDateTime(verifiedAt) : null],
    ]),
  );
}

function verifyPrompt() {
  return card(
    "尚未完成企业实名认证",
    "card-prompt",
    el(
      "p",
      {},
      "完成企业实名认证后，即可免费查看本企业的全部信用信息，发布融资需求、获取匹配的贷款产品和惠企政策。",
    ),
    el("a", { class: "btn btn-primary btn-block", href: "#verify" }, "去认证"),
  );
}

function accountCard(me) {
  const staff = me.role !== "ENTERPRISE";
  const institution = me.institution;
  return card(
    "账户信息",
    "card-account",
    facts([
      ["称呼", me.displayName],
      ["手机号", me.phoneMasked, { mono: true }],
      ["角色", label(ROLE_LABELS, me.role)],
      ["所属机构", institution ? institution.name : null],
      ["机构类别", institution ? label(INSTITUTION_KIND_LABELS, institution.kind) : null],
      ["所属部门", me.department],
      ["数据提供单位", me.dataProvider ? me.dataProvider.name : null],
    ]),
    staff
      ? el("p", { class: "hint" }, "系统对接（产品发布、授权查询、数据报送等）也可通过 GraphQL 接口办理，见对接文档。")
      : null,
  );
}

function serviceTiles(me) {
  const entries = tiles(me);
  if (entries.length === 0) return null;
  return el(
    "nav",
    { class: "tiles", "aria-label": me.role === "ENTERPRISE" ? "企业服务" : "工作台" },
    el("ul", {}, entries.map(([name, text]) => el("li", {}, el("a", { class: "tile", href: `#${name}` }, text)))),
  );
}

/** Fill `container` with the account view for `me`. */
export function renderAccount(container, me) {
  const parts = [el("p", { class: "greeting" }, `您好，${me.displayName}`)];
  parts.push(serviceTiles(me));
  if (me.enterprise) parts.push(enterpriseCard(me.enterprise, me.verifiedAt));
  else if (me.role === "ENTERPRISE") parts.push(verifyPrompt());
  parts.push(accountCard(me));
  container.replaceChildren(...parts);
}
