// registry.js — owns the list of views beyond sign-in: the hash each answers to (#credit,
// #records/tax …; an argument after "/" is an id or a code, never a secret), its title, who may
// open it, the module that draws it, and the tiles on the home view ("我的").
//
// Enterprise views (mobile first) live in js/views/; the staff console's views (desktop first,
// usable on a tablet: `wide`) live in js/console/. A view module exports
// `render(container, context)`; context is {me, arg, go(hash), refreshMe(), flash(message, kind)}.
// It shows its own loading, error and empty states (ui.js) and writes only text, never HTML.
// The server checks every permission again; `roles` here only decides what is offered.

const ENTERPRISE = ["ENTERPRISE"];
const BANK = ["INSTITUTION"];
const GOVERNMENT = ["GOVERNMENT"];

/**
 * name → {title, module (path under js/), roles, tile (home tile label, or null when reached from
 * another view), wide (console layout)}. Enterprise views also need a verified enterprise.
 */
export const VIEWS = {
  credit: { title: "信用档案", module: "views/credit.js", roles: ENTERPRISE, tile: "信用档案" },
  records: { title: "信用记录", module: "views/records.js", roles: ENTERPRISE, tile: null },
  declare: { title: "自主申报", module: "views/declare.js", roles: ENTERPRISE, tile: "自主申报" },
  consents: { title: "授权管理", module: "views/consents.js", roles: ENTERPRISE, tile: "授权管理" },
  "access-log": { title: "查询记录", module: "views/access_log.js", roles: ENTERPRISE, tile: "查询记录" },
  demand: { title: "融资需求", module: "views/demand.js", roles: ENTERPRISE, tile: "融资需求" },
  matches: { title: "产品匹配", module: "views/matches.js", roles: ENTERPRISE, tile: "产品匹配" },
  product: { title: "产品详情", module: "views/product.js", roles: ENTERPRISE, tile: null },
  applications: { title: "我的申请", module: "views/applications.js", roles: ENTERPRISE, tile: "我的申请" },
  inbox: { title: "消息", module: "views/inbox.js", roles: ENTERPRISE, tile: "消息" },
  policies: { title: "惠企政策", module: "views/policies.js", roles: ENTERPRISE, tile: "惠企政策" },
  objections: { title: "异议与信用修复", module: "views/objections.js", roles: ENTERPRISE, tile: "异议与修复" },
  "credit-code": { title: "信用码", module: "views/credit_code.js", roles: ENTERPRISE, tile: "信用码" },

  "bank-products": { title: "贷款产品", module: "console/products.js", roles: BANK, tile: "贷款产品", wide: true },
  "bank-product": { title: "编辑产品", module: "console/product_edit.js", roles: BANK, tile: null, wide: true },
  "bank-applications": { title: "贷款申请", module: "console/applications.js", roles: BANK, tile: "贷款申请", wide: true },
  "bank-demands": { title: "匹配的融资需求", module: "console/demands.js", roles: BANK, tile: "融资需求", wide: true },
  "bank-alerts": { title: "风险预警", module: "console/alerts.js", roles: BANK, tile: "风险预警", wide: true },

  "gov-institutions": { title: "金融机构", module: "console/institutions.js", roles: GOVERNMENT, tile: "金融机构", wide: true },
  "gov-policies": { title: "惠企政策", module: "console/policies.js", roles: GOVERNMENT, tile: "政策与推送", wide: true },
  "gov-policy": { title: "政策详情与推送", module: "console/policy_detail.js", roles: GOVERNMENT, tile: null, wide: true },
  "gov-objections": { title: "异议处理", module: "console/objections.js", roles: GOVERNMENT, tile: "异议处理", wide: true },
  "gov-statistics": { title: "统计分析", module: "console/statistics.js", roles: GOVERNMENT, tile: "统计分析", wide: true },
};

/** May `me` open view `name`? (Enterprise views need a verified enterprise.) */
export function allowed(name, me) {
  const view = VIEWS[name];
  if (!view || !me || !view.roles.includes(me.role)) return false;
  return me.role !== "ENTERPRISE" || Boolean(me.enterprise);
}

/** The home tiles for `me`, in order: [name, label]. */
export function tiles(me) {
  return Object.entries(VIEWS)
    .filter(([name, view]) => view.tile && allowed(name, me))
    .map(([name, view]) => [name, view.tile]);
}
