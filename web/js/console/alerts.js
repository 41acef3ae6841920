// alerts.js — owns the bank console's "风险预警" view (#bank-alerts): post-loan risk alerts on
// the institution's borrowers (firm, kind and severity, time, detail), newest first, the
// "只看未确认" filter, and 确认 (acknowledgeRiskAlert) for each open alert.

import { graphql } from "../api.js";
import { checkboxField } from "../fields.js";
import { formatDateTime } from "../format.js";
import { RISK_SEVERITY, statusBadge } from "../statuses.js";
import { el, errorMessage, withBusyButton } from "../ui.js";
import { idPage } from "../widgets.js";
import { filteredTable, toolbar, twoLines } from "./bank_shared.js";

const PAGE_SIZE = 50;
const ALERTS = `query RiskAlerts($after: ID, $first: Int!, $open: Boolean!) {
  riskAlerts(first: $first, after: $after, unacknowledgedOnly: $open) {
    id kind kindLabel severity message createdAt acknowledgedAt loanId
    enterprise { uscc name }
  }
}`;
const ACKNOWLEDGE = `mutation AcknowledgeRiskAlert($id: ID!) {
  acknowledgeRiskAlert(id: $id) { alert { id acknowledgedAt } errors { code field message } }
}`;

async function fetchPage(openOnly, after) {
  const items = (await graphql(ALERTS, { after, first: PAGE_SIZE, open: openOnly })).riskAlerts;
  return idPage(items, PAGE_SIZE);
}

function acknowledged(at) {
  return twoLines("已确认", formatDateTime(at));
}

function statusCell(alert, context) {
  if (alert.acknowledgedAt) return el("div", {}, acknowledged(alert.acknowledgedAt));
  const cell = el("div");
  const label = `确认${alert.enterprise.name}的预警：${alert.kindLabel}`;
  const button = el("button", { type: "button", class: "btn btn-small btn-secondary", "aria-label": label }, "确认");
  button.addEventListener("click", async () => {
    try {
      const payload = await withBusyButton(button, "正在确认…", () =>
        graphql(ACKNOWLEDGE, { id: alert.id }).then((d) => d.acknowledgeRiskAlert),
      );
      if (payload.errors.length > 0) {
        context.flash(payload.errors.map((e) => e.message).join("；"), "error");
        return;
      }
      cell.replaceChildren(...acknowledged(payload.alert.acknowledgedAt));
      context.flash(`已确认${alert.enterprise.name}的预警“${alert.kindLabel}”。`);
    } catch (error) {
      context.flash(errorMessage(error), "error");
    }
  });
  cell.append(el("span", { class: "bank-sub" }, "未确认"), button);
  return cell;
}

function columns(context) {
  return [
    { label: "企业", rowHeader: true, cell: (a) => twoLines(a.enterprise.name, a.enterprise.uscc, { mono: true }) },
    { label: "类别", cell: (a) => [...twoLines(a.kindLabel), statusBadge(RISK_SEVERITY, a.severity)] },
    { label: "时间", className: "nowrap", cell: (a) => formatDateTime(a.createdAt) },
    { label: "详情", cell: (a) => twoLines(a.message, `贷款编号 ${a.loanId}`) },
    { label: "处理", cell: (a) => statusCell(a, context) },
  ];
}

/** Draw the institution's risk alerts with the "只看未确认" filter. */
export async function render(container, context) {
  let openOnly = false;
  const results = el("div", { class: "bank-results" });
  const reload = filteredTable(results, {
    caption: "本机构的贷后预警",
    columns: () => columns(context),
    fetchPage: (after) => fetchPage(openOnly, after),
    empty: () => (openOnly ? "没有未确认的预警。" : "暂无贷后预警。本机构有存续贷款的企业出现新的负面信息时，这里会提醒。"),
  });
  const filter = checkboxField({
    label: "只看未确认",
    className: "bank-filter bank-filter-check",
    onChange: (checked) => {
      openOnly = checked;
      reload();
    },
  });
  container.replaceChildren(toolbar([filter]), results);
  await reload();
}
