// credit.js — owns #credit (信用档案), the firm's own credit record, free: the grade and score as a
// gauge (SVG built with createElementNS, described by role="img" + aria-label), each scoring
// factor as a bar with its explanation, the categories of records (count, latest date, whether
// public or shared only with authorisation) linking to #records/<category>, the firm's
// self-declarations with their status, and the ways on to #declare and #objections.

import { graphql } from "../api.js";
import { formatDay } from "../dates.js";
import { formatDate } from "../format.js";
import { DECLARATION_STATUS, DISCLOSURE, statusBadge } from "../statuses.js";
import { card, el, emptyState, loadInto } from "../ui.js";
import { freshMount } from "./credit_common.js";

const PROFILE = `query MyCreditProfile {
  myCreditProfile {
    enterprise { name }
    evaluation { score grade version factors { name dimension points explanation } }
    categorySummaries { category label disclosure count latestOn }
    declarations { id categoryLabel status statusLabel declaredAt }
  }
}`;

const SVG_NS = "http://www.w3.org/2000/svg";
const MAX_SCORE = 100;
const GRADE_KIND = { "A+": "good", A: "good", B: "fair", C: "warn", D: "bad" };

async function fetchProfile() {
  const profile = (await graphql(PROFILE)).myCreditProfile;
  const latest = Object.fromEntries(profile.categorySummaries.map((summary) => [summary.category, summary.latestOn]));
  return { profile, latest };
}

function svg(tag, attributes = {}, ...children) {
  const node = document.createElementNS(SVG_NS, tag);
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, String(value));
  node.append(...children);
  return node;
}

function arcPoint(score) {
  const angle = Math.PI * (1 - score / MAX_SCORE);
  return [100 + 80 * Math.cos(angle), 100 - 80 * Math.sin(angle)];
}

/** The score as a half-circle gauge with the grade in the middle (an image with a text alternative). */
function gauge(evaluation) {
  const score = Math.min(MAX_SCORE, Math.max(0, evaluation.score));
  const [x, y] = arcPoint(score);
  const kind = GRADE_KIND[evaluation.grade] || "fair";
  const label = `信用等级 ${evaluation.grade}，评分 ${evaluation.score} 分（满分 ${MAX_SCORE} 分）`;
  return svg(
    "svg",
    { viewBox: "0 0 200 124", class: `gauge gauge-${kind}`, role: "img", "aria-label": label, focusable: "false" },
    svg("path", { class: "gauge-track", d: "M 20 100 A 80 80 0 0 1 180 100" }),
    score > 0 ? svg("path", { class: "gauge-value", d: `M 20 100 A 80 80 0 0 1 ${x.toFixed(2)} ${y.toFixed(2)}` }) : "",
    svg("text", { class: "gauge-grade", x: 100, y: 86, "text-anchor": "middle" }, evaluation.grade),
    svg("text", { class: "gauge-score", x: 100, y: 112, "text-anchor": "middle" }, `${evaluation.score} 分`),
    svg("text", { class: "gauge-end", x: 20, y: 122, "text-anchor": "middle" }, "0"),
    svg("text", { class: "gauge-end", x: 180, y: 122, "text-anchor": "middle" }, String(MAX_SCORE)),
  );
}

function signed(points) {
  if (points > 0) return `+${points} 分`;
  if (points < 0) return `−${Math.abs(points)} 分`;
  return "0 分";
}

function evaluationCard(profile) {
  const { evaluation } = profile;
  const total = evaluation.factors.reduce((sum, factor) => sum + factor.points, 0);
  return card(
    "信用评价",
    "credit-evaluation",
    el("p", { class: "credit-firm" }, profile.enterprise.name),
    el("div", { class: "gauge-box" }, gauge(evaluation)),
    el(
      "p",
      { class: "hint credit-note" },
      `按平台当前归集的信用信息计算，各项因素合计 ${signed(total)}。评分卡版本 ${evaluation.version}。`,
    ),
  );
}

function factorItem(factor, largest) {
  const direction = factor.points > 0 ? "plus" : factor.points < 0 ? "minus" : "zero";
  const fill = el("span", { class: `factor-fill factor-${direction}` });
  fill.style.setProperty("width", `${(Math.abs(factor.points) / largest) * 100}%`);
  return el(
    "li",
    { class: "factor" },
    el(
      "div",
      { class: "factor-head" },
      el("span", { class: "factor-name" }, factor.name),
      el("span", { class: `factor-points factor-points-${direction}` }, signed(factor.points)),
    ),
    el("div", { class: "factor-bar", "aria-hidden": "true" }, fill),
    el("p", { class: "factor-explanation" }, factor.explanation),
  );
}

function factorsCard(factors) {
  const largest = Math.max(1, ...factors.map((factor) => Math.abs(factor.points)));
  const dimensions = new Map();
  for (const factor of factors) {
    if (!dimensions.has(factor.dimension)) dimensions.set(factor.dimension, []);
    dimensions.get(factor.dimension).push(factor);
  }
  const groups = [...dimensions].map(([dimension, items]) =>
    el(
      "div",
      { class: "factor-group" },
      el("h3", {}, dimension),
      el("ul", { class: "factor-list" }, items.map((factor) => factorItem(factor, largest))),
    ),
  );
  return card(
    "评分因素",
    "credit-factors",
    el("p", { class: "hint" }, "条形长度按各因素得分（加分或减分）的大小比较。暂无数据的因素不加分也不减分。"),
    ...groups,
  );
}

function categoryLink(summary, latestOn) {
  return el(
    "li",
    {},
    el(
      "a",
      { class: "category-link", href: `#records/${encodeURIComponent(summary.category)}` },
      el(
        "span",
        { class: "category-top" },
        el("span", { class: "category-name" }, summary.label),
        el("span", { class: "category-count" }, `${summary.count} 条`),
      ),
      el(
        "span",
        { class: "category-bottom" },
        el("span", { class: "category-date" }, latestOn ? `最近 ${formatDate(latestOn)}` : "日期未知"),
        statusBadge(DISCLOSURE, summary.disclosure),
      ),
    ),
  );
}

function categoriesCard(summaries, latest) {
  const filled = summaries.filter((summary) => summary.count > 0);
  const empty = summaries.filter((summary) => summary.count === 0);
  return card(
    "信用信息分类",
    "credit-categories",
    el("p", { class: "hint" }, "企业查看本企业全部信用信息免费。“需授权共享”的信息，只有经您授权的金融机构才能查看。"),
    filled.length > 0
      ? el("ul", { class: "category-list" }, filled.map((summary) => categoryLink(summary, latest[summary.category])))
      : emptyState("平台暂未归集到本企业的信用记录。"),
    empty.length > 0
      ? el("p", { class: "category-empty" }, `暂无记录：${empty.map((summary) => summary.label).join("、")}`)
      : null,
  );
}

function declarationsCard(declarations) {
  const items = declarations.map((declaration) =>
    el(
      "li",
      { class: "declaration-item" },
      el("span", { class: "declaration-name" }, declaration.categoryLabel),
      statusBadge(DECLARATION_STATUS, declaration.status, declaration.statusLabel),
      el("span", { class: "declaration-date" }, `申报于 ${formatDay(declaration.declaredAt)}`),
    ),
  );
  return card(
    "自主申报信息",
    "credit-declarations",
    el("p", { class: "hint" }, "自主填报的信息与官方归集的记录分开展示，并标注“自主填报”。"),
    items.length > 0 ? el("ul", { class: "declaration-list" }, items) : emptyState("尚未自主申报信息。"),
    el("a", { class: "btn btn-secondary btn-block", href: "#declare" }, "自主申报"),
  );
}

function moreCard() {
  return card(
    "对信用记录有疑问？",
    "credit-more",
    el("p", {}, "认为记录有误可以提出异议；行政处罚公示期满最短期限后，可申请信用修复。"),
    el("a", { class: "btn btn-secondary btn-block", href: "#objections" }, "异议与修复"),
  );
}

/** Draw #credit: evaluation gauge, factor bars, categories, declarations and the links on. */
export async function render(container) {
  await loadInto(freshMount(container), fetchProfile, ({ profile, latest }) => [
    evaluationCard(profile),
    factorsCard(profile.evaluation.factors),
    categoriesCard(profile.categorySummaries, latest),
    declarationsCard(profile.declarations),
    moreCard(),
  ]);
}
