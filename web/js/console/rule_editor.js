// rule_editor.js — owns the eligibility rule editor of the console (products and policies): a
// JSON text area checked as you type (first as JSON here, then by the server's validateRule with
// the error's path in the rule), and the list of facts a rule may use (factsCatalog).

import { graphql } from "../api.js";
import { el, errorMessage, uniqueId } from "../ui.js";

const VALIDATE = `query ValidateRule($rule: JSON!) {
  validateRule(rule: $rule) { valid facts errors { code field message } }
}`;
const CATALOG = `query FactsCatalog {
  factsCatalog { version facts { name kind label unit operators values { value label } } }
}`;
const DELAY_MS = 400;

let catalogPromise = null;

/** The facts catalogue (asked for once per page). */
export function factsCatalog() {
  catalogPromise ??= graphql(CATALOG).then((data) => data.factsCatalog);
  catalogPromise.catch(() => {
    catalogPromise = null;
  });
  return catalogPromise;
}

function parse(text) {
  try {
    return { rule: JSON.parse(text), problem: null };
  } catch (error) {
    return { rule: null, problem: `不是有效的 JSON：${error.message}` };
  }
}

function factList(details, catalog) {
  const list = el("ul", { class: "fact-list" });
  for (const fact of catalog.facts) {
    const values = fact.values.length > 0 ? `；取值：${fact.values.map((v) => `${v.value}（${v.label}）`).join("、")}` : "";
    const unit = fact.unit ? `，单位：${fact.unit}` : "";
    list.append(
      el(
        "li",
        {},
        el("code", {}, fact.name),
        ` ${fact.label}${unit}；运算符：${fact.operators.join(" ")}${values}`,
      ),
    );
  }
  details.append(list);
}

/**
 * A rule field for a form: ruleEditor({name, label, value, hint}) returns
 * {node, read() → the parsed rule or null, check() → Promise<boolean> (true when the server
 * accepts the rule; the message is shown under the field)}.
 */
export function ruleEditor({ name = "eligibility", label = "准入规则（JSON）", value = { all: [] }, hint = null }) {
  const id = uniqueId("rule");
  const status = el("p", { class: "rule-status", id: `${id}-status`, "aria-live": "polite" });
  const error = el("p", { class: "field-error", id: `${id}-error`, "data-error-for": name, role: "alert", hidden: true });
  const area = el("textarea", {
    id,
    name,
    class: "mono rule-text",
    rows: "10",
    spellcheck: "false",
    "aria-describedby": `${id}-hint ${id}-status ${id}-error`,
  });
  area.value = typeof value === "string" ? value : JSON.stringify(value, null, 2);
  const details = el("details", { class: "fact-help" }, el("summary", {}, "可用的事实和运算符"));
  let loadedCatalog = false;
  details.addEventListener("toggle", async () => {
    if (!details.open || loadedCatalog) return;
    loadedCatalog = true;
    try {
      factList(details, await factsCatalog());
    } catch (failure) {
      loadedCatalog = false;
      details.append(el("p", { class: "notice notice-error" }, errorMessage(failure)));
    }
  });

  let timer = null;
  let sequence = 0;

  function show(ok, message) {
    status.textContent = ok ? message : "";
    status.hidden = !ok;
    error.textContent = ok ? "" : message;
    error.hidden = ok;
    if (ok) area.removeAttribute("aria-invalid");
    else area.setAttribute("aria-invalid", "true");
  }

  async function check() {
    const run = ++sequence;
    const { rule, problem } = parse(area.value);
    if (problem) {
      show(false, problem);
      return false;
    }
    status.textContent = "正在检查规则…";
    status.hidden = false;
    let result;
    try {
      result = (await graphql(VALIDATE, { rule })).validateRule;
    } catch (failure) {
      if (run === sequence) show(false, `规则暂时无法检查：${errorMessage(failure)}`);
      return false;
    }
    if (run !== sequence) return result.valid;
    if (result.valid) {
      const used = result.facts.length > 0 ? `，引用：${result.facts.join("、")}` : "（不限条件）";
      show(true, `规则有效${used}`);
    } else {
      show(false, result.errors.map((e) => (e.field ? `${e.field}：${e.message}` : e.message)).join("\n"));
    }
    return result.valid;
  }

  area.addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(check, DELAY_MS);
  });

  const node = el(
    "div",
    { class: "field rule-editor" },
    el("label", { for: id }, label),
    area,
    el("p", { class: "hint", id: `${id}-hint` }, hint ?? '例：{"all": [{"fact": "years_in_business", "op": "gte", "value": 2}]}。输入时自动检查。'),
    status,
    error,
    details,
  );
  return {
    node,
    read: () => parse(area.value).rule,
    check,
  };
}
