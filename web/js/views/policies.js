// policies.js — owns the "惠企政策" view (#policies): the government's policies this enterprise
// qualifies for, with the reasons (the conditions met, with its current data); those it cannot
// be judged on yet, with the missing data; and the near misses, with what is still lacking.

import { graphql } from "../api.js";
import { dateSpan } from "../dates.js";
import { MATCH_STATUS, statusBadge } from "../statuses.js";
import { card, el, emptyState, facts, loadInto } from "../ui.js";
import { itemArticle, missingDataBlock, nearMissBlock, sentenceList, shortList } from "./finance_common.js";

const INELIGIBLE_SHOWN = 5;

const POLICY_MATCHES = `query PolicyMatches {
  policyMatches(includeIneligible: true) {
    status reasons
    unmetConditions { fact label message }
    missingFacts { fact label declarable }
    nearMiss { changes { label message } }
    policy { id title policyTypeLabel issuer summary validFrom validUntil regionNames }
  }
}`;

/** Draw #policies. */
export async function render(container) {
  await loadInto(
    container,
    async () => (await graphql(POLICY_MATCHES)).policyMatches,
    (matches) => policiesView(matches),
  );
}

function policiesView(matches) {
  const groups = { ELIGIBLE: [], UNKNOWN: [], INELIGIBLE: [] };
  for (const match of matches) groups[match.status]?.push(match);
  return [
    el("p", { class: "lead" }, "平台按本企业的信用信息逐条核对政策的适用条件。具体申请方式以发布单位的规定为准。"),
    card(
      "符合条件的政策",
      "fin-card",
      groups.ELIGIBLE.length === 0
        ? emptyState("按目前的信用信息，暂未找到本企业符合的政策。")
        : el("ul", { class: "fin-list" }, groups.ELIGIBLE.map((match) => el("li", {}, eligibleItem(match)))),
    ),
    groups.UNKNOWN.length > 0
      ? card(
          "待补充数据的政策",
          "fin-card",
          el("ul", { class: "fin-list" }, groups.UNKNOWN.map((match) => el("li", {}, unknownItem(match)))),
        )
      : null,
    groups.INELIGIBLE.length > 0 ? ineligibleCard(groups.INELIGIBLE) : null,
  ].filter(Boolean);
}

/** A policy match as a list item: the policy's title with the match's badge, then `children`. */
function policyItem(match, ...children) {
  return itemArticle({ title: match.policy.title, badge: statusBadge(MATCH_STATUS, match.status) }, ...children);
}

function policyFacts(policy) {
  const list = facts([
    ["发布单位", policy.issuer],
    ["政策类型", policy.policyTypeLabel],
    ["适用地区", policy.regionNames.length > 0 ? policy.regionNames.join("、") : "全国"],
    ["有效期", dateSpan(policy.validFrom, policy.validUntil)],
  ]);
  list.classList.add("facts-grid");
  return list;
}

function eligibleItem(match) {
  return policyItem(
    match,
    policyFacts(match.policy),
    el("p", { class: "policy-summary" }, match.policy.summary),
    sentenceList("为何符合：", match.reasons, "sentences-met"),
  );
}

function unknownItem(match) {
  return policyItem(match, policyFacts(match.policy), missingDataBlock(match));
}

function ineligibleItem(match) {
  return policyItem(
    match,
    el("p", { class: "hint" }, `${match.policy.issuer} · ${match.policy.policyTypeLabel}`),
    nearMissBlock(match, match.policy.regionNames, "适用地区"),
  );
}

function ineligibleCard(matches) {
  const [list, more] = shortList(matches, ineligibleItem, { shown: INELIGIBLE_SHOWN, noun: "项" });
  return card("暂不符合的政策", "fin-card", el("p", { class: "hint" }, "差一点符合的排在前面，并列出还差什么。"), list, more);
}
