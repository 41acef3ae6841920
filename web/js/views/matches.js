// matches.js — owns the "产品匹配" view (#matches, #matches/<demand id>, #matches/none): the loan
// products matched to the enterprise for one of its open demands (the latest by default) or for
// no demand — eligible ones ranked, with the conditions met and the parts of the score; those
// the platform cannot judge yet, with the missing data and where to supply it; and those not
// met, near misses first, with what is still lacking ("还差：…"). Each links to #product/<id>.

import { graphql } from "../api.js";
import { formatAmount, formatMonths } from "../format.js";
import { MATCH_STATUS, statusBadge } from "../statuses.js";
import { card, el, emptyState, facts, loadInto, uniqueId } from "../ui.js";
import {
  amountRange,
  itemArticle,
  missingDataBlock,
  nearMissBlock,
  rateRange,
  rememberDemand,
  sentenceList,
  shortList,
  termRange,
} from "./finance_common.js";

const MATCH_LIMIT = 20;
const INELIGIBLE_SHOWN = 5;
const NO_DEMAND = "none";

const OPEN_DEMANDS = `query OpenDemands {
  myDemands(status: OPEN, first: 20) { id amount termMonths purpose createdAt }
}`;

const MATCHES = `query ProductMatches($demandId: ID, $first: Int!) {
  productMatches(demandId: $demandId, first: $first, includeIneligible: true) {
    status score reasons
    unmetConditions { fact label message }
    missingFacts { fact label declarable }
    components { name label weight value points explanation }
    nearMiss { changes { label message } }
    product {
      id name productTypeLabel minAmount maxAmount minAnnualRate maxAnnualRate minTermMonths maxTermMonths
      regionNames institution { name }
    }
  }
}`;

/** Draw #matches for the demand in `context.arg` (or the latest open one). */
export async function render(container, context) {
  await loadInto(
    container,
    async () => {
      const demands = (await graphql(OPEN_DEMANDS)).myDemands;
      const demand = chooseDemand(demands, context.arg);
      rememberDemand(demand ? demand.id : null);
      const matches = (await graphql(MATCHES, { demandId: demand ? demand.id : null, first: MATCH_LIMIT }))
        .productMatches;
      return { demands, demand, matches };
    },
    (data) => matchesView(data, context),
  );
}

function chooseDemand(demands, arg) {
  if (arg === NO_DEMAND) return null;
  if (arg) return demands.find((demand) => demand.id === arg) ?? null;
  return demands[0] ?? null;
}

function demandLabel(demand) {
  return `${formatAmount(demand.amount)} · ${formatMonths(demand.termMonths)} · ${demand.purpose}`;
}

function demandPicker(demands, demand, context) {
  if (demands.length === 0) {
    return card(
      "还没有开放的融资需求",
      "fin-card card-prompt",
      el("p", {}, "发布融资需求（金额、期限、用途）后，匹配会按您的需求计算额度、期限和用途的契合度。下面先按本企业的信用信息为您匹配。"),
      el("a", { class: "btn btn-primary btn-block", href: "#demand" }, "发布融资需求"),
    );
  }
  const id = uniqueId("demand-pick");
  const select = el(
    "select",
    { id, name: "demand" },
    demands.map((d) => el("option", { value: d.id }, demandLabel(d))),
    el("option", { value: NO_DEMAND }, "不按需求，仅按企业信用信息匹配"),
  );
  select.value = demand ? demand.id : NO_DEMAND;
  const form = el(
    "form",
    { class: "field demand-picker", "aria-label": "选择融资需求" },
    el("label", { for: id }, "按哪项融资需求匹配"),
    el(
      "div",
      { class: "demand-picker-row" },
      select,
      el("button", { type: "submit", class: "btn btn-secondary" }, "匹配"),
    ),
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    context.go(`matches/${select.value}`);
  });
  return form;
}

function matchesView({ demands, demand, matches }, context) {
  const groups = { ELIGIBLE: [], UNKNOWN: [], INELIGIBLE: [] };
  for (const match of matches) groups[match.status]?.push(match);
  const lost = context.arg && context.arg !== NO_DEMAND && !demand;
  return [
    lost ? el("p", { class: "notice notice-error", role: "alert" }, "该融资需求已关闭或不存在，下面按本企业的信用信息匹配。") : null,
    demandPicker(demands, demand, context),
    el(
      "p",
      { class: "match-summary", role: "status" },
      `符合条件 ${groups.ELIGIBLE.length} 个 · 待补充数据 ${groups.UNKNOWN.length} 个 · 暂不符合 ${groups.INELIGIBLE.length} 个`,
    ),
    eligibleCard(groups.ELIGIBLE, demand),
    groups.UNKNOWN.length > 0 ? unknownCard(groups.UNKNOWN) : null,
    groups.INELIGIBLE.length > 0 ? ineligibleCard(groups.INELIGIBLE) : null,
  ].filter(Boolean);
}

/** A matched product as a list item: its name (a link to #product/<id>) and `badge` on top. */
function productItem(match, badge, className, ...children) {
  const title = el("a", { href: `#product/${match.product.id}` }, match.product.name);
  return itemArticle({ title, badge, className }, ...children);
}

function productFacts(product) {
  const list = facts([
    ["金融机构", product.institution.name],
    ["额度", amountRange(product)],
    ["年利率", rateRange(product)],
    ["期限", termRange(product)],
  ]);
  list.classList.add("facts-grid");
  return list;
}

// ---- eligible -------------------------------------------------------------------------------

function eligibleCard(matches, demand) {
  const intro = demand
    ? "按与您需求的契合度、利率和获批可能综合评分，从高到低排列。"
    : "按利率、地区和获批可能综合评分，从高到低排列。";
  return card(
    "符合条件的产品",
    "fin-card",
    el("p", { class: "hint" }, intro),
    matches.length === 0
      ? emptyState("暂时没有完全符合条件的产品。可以看看下面差一点符合的产品还差什么。")
      : el(
          "ol",
          { class: "fin-list ranked" },
          matches.map((match, index) => el("li", {}, eligibleItem(match, index + 1))),
        ),
  );
}

function scoreMeter(score) {
  const bar = el("span", { class: "meter-fill" });
  bar.style.setProperty("width", `${Math.max(0, Math.min(100, score))}%`);
  return el(
    "div",
    { class: "score" },
    el("span", { class: "score-number" }, `匹配度 ${score.toFixed(1)} 分`),
    el("span", { class: "meter", "aria-hidden": "true" }, bar),
  );
}

function componentRow(component) {
  const bar = el("span", { class: "meter-fill" });
  bar.style.setProperty("width", `${Math.round(component.value * 100)}%`);
  return el(
    "li",
    { class: "component" },
    el(
      "div",
      { class: "component-head" },
      el("span", { class: "component-label" }, component.label),
      el("span", { class: "component-points" }, `${component.points.toFixed(1)} / ${component.weight.toFixed(0)} 分`),
    ),
    el("span", { class: "meter meter-small", "aria-hidden": "true" }, bar),
    el("p", { class: "hint" }, component.explanation),
  );
}

function eligibleItem(match, rank) {
  return productItem(
    match,
    el("span", { class: "rank" }, `第 ${rank} 名`),
    "fin-item match-eligible",
    match.score !== null ? scoreMeter(match.score) : null,
    productFacts(match.product),
    sentenceList("符合的条件：", match.reasons, "sentences-met"),
    match.components.length > 0
      ? el(
          "details",
          { class: "fin-details" },
          el("summary", {}, "评分构成"),
          el("ul", { class: "components" }, match.components.map(componentRow)),
        )
      : null,
    el("p", {}, el("a", { href: `#product/${match.product.id}` }, `查看详情并申请「${match.product.name}」`)),
  );
}

// ---- unknown and ineligible -----------------------------------------------------------------

function unknownCard(matches) {
  return card(
    "待补充数据的产品",
    "fin-card",
    el("p", { class: "hint" }, "平台缺少判断所需的数据，不作猜测。补充后将重新匹配。"),
    el("ul", { class: "fin-list" }, matches.map((match) => el("li", {}, unknownItem(match)))),
  );
}

function unknownItem(match) {
  const badge = statusBadge(MATCH_STATUS, match.status);
  return productItem(match, badge, "fin-item", productFacts(match.product), missingDataBlock(match));
}

function ineligibleCard(matches) {
  const [list, more] = shortList(matches, ineligibleItem, { shown: INELIGIBLE_SHOWN, noun: "个" });
  return card("暂不符合的产品", "fin-card", el("p", { class: "hint" }, "差一点符合的排在前面，并列出还差什么。"), list, more);
}

function ineligibleItem(match) {
  return productItem(
    match,
    statusBadge(MATCH_STATUS, match.status),
    "fin-item",
    el("p", { class: "hint" }, `${match.product.institution.name} · ${amountRange(match.product)}`),
    nearMissBlock(match, match.product.regionNames),
  );
}
