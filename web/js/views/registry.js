// registry.js — owns the list of the signed-in enterprise's views beyond sign-in: the hash each
// answers to (#credit, #records/tax …; an argument after "/" is an id or a code, never a secret),
// its title, the module under js/views/ that draws it, and the tiles on the home view.
//
// A view module exports `render(container, context)`; context is
// {me, arg, go(hash), refreshMe(), flash(message, kind)}. It shows its own loading, error and
// empty states (ui.js) and writes only text, never HTML.

/** name → {title, module, tile (home tile label, or null when reached from another view)}. */
export const VIEWS = {
  credit: { title: "信用档案", module: "credit.js", tile: "信用档案" },
  records: { title: "信用记录", module: "records.js", tile: null },
  declare: { title: "自主申报", module: "declare.js", tile: "自主申报" },
  consents: { title: "授权管理", module: "consents.js", tile: "授权管理" },
  "access-log": { title: "查询记录", module: "access_log.js", tile: "查询记录" },
  demand: { title: "融资需求", module: "demand.js", tile: "融资需求" },
  matches: { title: "产品匹配", module: "matches.js", tile: "产品匹配" },
  product: { title: "产品详情", module: "product.js", tile: null },
  applications: { title: "我的申请", module: "applications.js", tile: "我的申请" },
  inbox: { title: "消息", module: "inbox.js", tile: "消息" },
  policies: { title: "惠企政策", module: "policies.js", tile: "惠企政策" },
  objections: { title: "异议与信用修复", module: "objections.js", tile: "异议与修复" },
  "credit-code": { title: "信用码", module: "credit_code.js", tile: "信用码" },
};

/** The home tiles, in order: [name, label]. */
export function tiles() {
  return Object.entries(VIEWS)
    .filter(([, view]) => view.tile)
    .map(([name, view]) => [name, view.tile]);
}
