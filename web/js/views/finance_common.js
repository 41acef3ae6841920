// finance_common.js — owns what the enterprise's financing and authorisation views share: a
// list item with its heading and badge, a row of actions, an action that asks for confirmation
// first (and one that then runs a mutation, leaves a notice and redraws), a list loaded page by
// page ("加载更多"), a product's ranges, the lists of reasons, unmet conditions and missing data
// of a match, the notice left for the next view, the demand chosen for matching, and the scope
// code of the legal representative's ID number.

import { AuthRequiredError } from "../api.js";
import { formatAmountRange, formatMonthsRange, formatRate } from "../format.js";
import { el, emptyState, errorMessage, loadInto, uniqueId, withBusyButton } from "../ui.js";
import { idPage, loadMore } from "../widgets.js";

/** The scope code of the legal representative's full ID number (a separate consent). */
export const IDENTITY_SCOPE = "legal_rep_identity";

/**
 * One item of a list as an <article> labelled by its heading: itemArticle({title (text or
 * nodes), badge (beside the heading, optional), className}, ...children).
 */
export function itemArticle({ title, badge = null, className = "fin-item" }, ...children) {
  const headingId = uniqueId("item");
  const heading = el("h3", { id: headingId }, title);
  return el(
    "article",
    { class: className, "aria-labelledby": headingId },
    badge ? el("div", { class: "fin-item-head" }, heading, badge) : heading,
    ...children,
  );
}

/** "4.35% – 5.5%" from a product's rate range. */
export function rateRange(product) {
  const low = formatRate(product.minAnnualRate);
  const high = formatRate(product.maxAnnualRate);
  return low === high ? low : `${low} – ${high}`;
}

/** "3–36个月" from a product's term range. */
export function termRange(product) {
  return formatMonthsRange(product.minTermMonths, product.maxTermMonths);
}

/** "10 万元 – 300 万元" from a product's amount range. */
export function amountRange(product) {
  return formatAmountRange(product.minAmount, product.maxAmount);
}

/** A row of buttons or links. */
export function actions(...children) {
  return el("div", { class: "fin-actions" }, ...children);
}

/**
 * A button whose action needs a second, explicit yes: confirmButton({label, question,
 * confirmText, busyText, onConfirm}). `onConfirm()` returns the payload's errors (an empty list
 * when done); they are shown beside the button, which comes back for another try.
 */
export function confirmButton({ label, question, confirmText, busyText = "请稍候…", onConfirm }) {
  const box = el("div", { class: "confirm-box" });
  const alert = el("p", { class: "notice notice-error", role: "alert", hidden: true });
  const trigger = el("button", { type: "button", class: "btn btn-secondary btn-small" }, label);

  function showTrigger() {
    box.replaceChildren(trigger, alert);
  }

  function ask() {
    alert.hidden = true;
    const yes = el("button", { type: "button", class: "btn btn-primary btn-small" }, confirmText);
    const no = el("button", { type: "button", class: "btn btn-ghost btn-small" }, "取消");
    const prompt = el("p", { class: "confirm-question", id: uniqueId("confirm") }, question);
    yes.setAttribute("aria-describedby", prompt.id);
    no.addEventListener("click", () => {
      showTrigger();
      trigger.focus();
    });
    yes.addEventListener("click", () => confirm(yes));
    const step = el("div", { class: "confirm-step", role: "group", "aria-label": label }, prompt, actions(yes, no));
    box.replaceChildren(step, alert);
    yes.focus();
  }

  async function confirm(yes) {
    let errors;
    try {
      errors = await withBusyButton(yes, busyText, onConfirm);
    } catch (error) {
      if (error instanceof AuthRequiredError) return;
      errors = [{ message: errorMessage(error) }];
    }
    if (errors.length === 0) return;
    showTrigger();
    alert.textContent = errors.map((e) => e.message).join("\n");
    alert.hidden = false;
    trigger.focus();
  }

  trigger.addEventListener("click", ask);
  showTrigger();
  return box;
}

/**
 * A confirmButton whose yes runs a mutation: confirmMutation({label, question, confirmText,
 * busyText, mutate() → payload with errors, notice, reload}). Once done, `notice` is left for
 * the view and `reload()` draws it again.
 */
export function confirmMutation({ mutate, notice, reload, ...button }) {
  return confirmButton({
    ...button,
    onConfirm: async () => {
      const payload = await mutate();
      if (payload.errors.length > 0) return payload.errors;
      leaveNotice(notice);
      await reload();
      return [];
    },
  });
}

/**
 * A list loaded a page at a time into `container`: fetchPage(after) returns the items of one
 * page (`pageSize` at most), renderItem(item) draws one; "加载更多" asks for the page after the
 * last item's id. Shows loading, error with 重试, and `emptyText` for an empty first page.
 */
export async function pagedList(container, { fetchPage, renderItem, emptyText, pageSize, listLabel }) {
  const list = el("ul", { class: "fin-list", "aria-label": listLabel });
  const addItems = (items) => list.append(...items.map((item) => el("li", {}, renderItem(item))));
  const fetchNext = async (after) => idPage(await fetchPage(after), pageSize);
  await loadInto(
    container,
    () => fetchNext(null),
    (first) => {
      if (first.items.length === 0) return emptyState(emptyText);
      addItems(first.items);
      const more = loadMore({
        next: first.next,
        fetchPage: fetchNext,
        addItems,
        className: "fin-more",
        onPage: (page) => {
          if (page.items.length === 0) more.append(el("p", { class: "hint" }, "已全部加载。"));
        },
      });
      return [list, more];
    },
  );
}

/** A titled list of sentences (reasons, conditions); nothing when `items` is empty. */
export function sentenceList(title, items, extraClass = "") {
  if (!items || items.length === 0) return null;
  return el(
    "div",
    { class: `sentences ${extraClass}`.trim() },
    el("p", { class: "sentences-title" }, title),
    el("ul", {}, items.map((text) => el("li", {}, text))),
  );
}

/**
 * What a near miss still lacks, in Chinese: each unmet condition ("还差：…"), the area rule said
 * with the area's names, and the smallest change that would qualify when the server knows one.
 */
export function unmetSentences(match, regionNames = [], areaWord = "服务地区") {
  const sentences = match.unmetConditions.map((condition) => {
    if (condition.fact === "region_code" && regionNames.length > 0) {
      return `${areaWord}（${regionNames.join("、")}）不含本企业所在地`;
    }
    return condition.message;
  });
  return sentences.length > 0 ? sentences : match.reasons;
}

/** The near-miss block: "还差：…" and "只需：…" lists. */
export function nearMissBlock(match, regionNames = [], areaWord = "服务地区") {
  const changes = match.nearMiss?.changes ?? [];
  return el(
    "div",
    { class: "near-miss" },
    sentenceList("还差：", unmetSentences(match, regionNames, areaWord), "sentences-missing"),
    sentenceList("只需：", changes.map((change) => change.message), "sentences-change"),
  );
}

/** The missing-data block of an UNKNOWN match, with where the data can be supplied. */
export function missingDataBlock(match) {
  const labels = match.missingFacts.map((fact) => fact.label);
  const declarable = match.missingFacts.some((fact) => fact.declarable);
  return el(
    "div",
    { class: "missing-data" },
    sentenceList("缺少的数据：", labels.length > 0 ? labels : match.reasons, "sentences-missing"),
    declarable
      ? el(
          "p",
          {},
          "您可以自主申报补充这些数据，核实后将重新匹配：",
          el("a", { href: "#declare" }, "去自主申报"),
        )
      : el(
          "p",
          { class: "hint" },
          "这些数据由相关部门归集，归集后平台会自动重新匹配，无需您操作。",
          el("a", { href: "#credit" }, "查看本企业的信用档案"),
        ),
  );
}

let notice = null;

/** Leave a message for the next view drawn (context.flash does not survive a change of view). */
export function leaveNotice(text) {
  notice = text;
}

/**
 * Show `nodes` in `container`, after the message left by leaveNotice (once) as a status line
 * that takes the focus.
 */
export function showWithNotice(container, ...nodes) {
  const text = notice;
  notice = null;
  const line = text ? el("p", { class: "notice notice-ok", role: "status", tabindex: "-1" }, text) : null;
  container.replaceChildren(...[line, ...nodes].filter(Boolean));
  if (line) line.focus();
}

const DEMAND_KEY = "xinrong.finance.demandId";

/** Remember which demand the products were matched for (null: none), for applying from #product. */
export function rememberDemand(id) {
  try {
    sessionStorage.setItem(DEMAND_KEY, id ?? "none");
  } catch {
    // no storage: #product falls back to the latest open demand
  }
}

/** The demand remembered by rememberDemand: an id, "none", or null when nothing was chosen. */
export function rememberedDemand() {
  try {
    return sessionStorage.getItem(DEMAND_KEY);
  } catch {
    return null;
  }
}

/**
 * A list showing its first `shown` items, with a "显示其余 N {noun}" button for the rest; the
 * first item revealed takes the focus. Returns [list, button or null].
 */
export function shortList(items, renderItem, { shown, noun }) {
  const list = el("ul", { class: "fin-list" });
  const add = (some) => some.map((item) => {
    const node = renderItem(item);
    list.append(el("li", {}, node));
    return node;
  });
  add(items.slice(0, shown));
  const rest = items.slice(shown);
  if (rest.length === 0) return [list, null];
  const more = el("button", { type: "button", class: "btn btn-secondary btn-block" }, `显示其余 ${rest.length} ${noun}`);
  more.addEventListener("click", () => {
    const [first] = add(rest);
    more.remove();
    first.tabIndex = -1;
    first.focus();
  });
  return [list, more];
}
