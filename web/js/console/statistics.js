// statistics.js — owns the government console's "统计分析" view (#gov-statistics): the platform
// statistics for a region and a period (platformStatistics), the key figures as cards, SVG bar
// charts with their text alternatives (gov_charts.js), the tables of policy reach and data
// quality, and the CSV export (/statistics/export.csv, fetched with the bearer token in the
// Authorization header and saved through a Blob URL: the token never goes into a URL).

import { ApiError, AuthRequiredError, getToken, graphql } from "../api.js";
import { buildField, clearErrors, formErrorSlot, readForm, showError } from "../form.js";
import { formatAmount, formatCount, formatDate, formatDateTime, formatRate } from "../format.js";
import { card, el, errorMessage, loadInto, withBusyButton } from "../ui.js";
import { dataTable } from "../widgets.js";
import { barChart } from "./gov_charts.js";
import { GOV_TABLE } from "./gov_shared.js";

const STATISTICS = `query PlatformStatistics($regionCode: String, $from: Date, $to: Date) {
  platformStatistics(regionCode: $regionCode, from: $from, to: $to) {
    regionCode regionName from to generatedAt
    enterprises { registered verified byEntityType { entityType label count verifiedCount } }
    institutions { active byKind { key label count } }
    products { active byType { key label count } }
    demands { count totalAmount answeredCount answeredShare medianResponseHours }
    applications { count approvedCount rejectedCount approvalRate byStatus { status label count } }
    loans { count totalAmount creditLoanCount creditLoanAmount creditShareByAmount firstTimeBorrowers firstTimeAmount
            byStatus { status label count amount } }
    policyReach { activePolicies told read readShare firmsTold truncated
                  policies { policyId title policyTypeLabel statusLabel matched told read readShare } }
    objections { count forwardedCount forwardedOnTimeCount onTimeShare overdueCount resolvedCount medianResolutionHours
                 byStatus { status label count } repairRequests { count resolvedCount approvedCount } }
    dataQuality { asOf batchCount acceptedRows rejectedRows rejectedShare
                  providers { code name batchCount acceptedRows rejectedRows rejectedShare lastReceivedAt daysSinceLastBatch currentRecords } }
  }
}`;
// Any government-only query: asked after a 401 from the export so that api.js handles the lost session.
const SESSION_CHECK = `query SessionCheck { managedInstitutions(status: REVOKED) { id } }`;
const REGION_PATTERN = /^(\d{2}|\d{4}|\d{6})$/;
const REGION_MESSAGE = "行政区划代码无效：请填写 2、4 或 6 位现行区划代码（如 37、3713、371302）";

/** Draw the statistics view into `container`. */
export async function render(container) {
  const results = el("div", { class: "gov-stats" });
  const view = { results, params: {} };
  view.form = filterForm(view);
  container.replaceChildren(card("统计条件", "gov-card", view.form), results);
  await load(view);
}

function filterForm(view) {
  const form = el(
    "form",
    { class: "form gov-stats-filter", novalidate: true },
    formErrorSlot(),
    el(
      "div",
      { class: "gov-form-grid" },
      buildField({
        name: "regionCode",
        label: "统计区域（可选）",
        hint: "按企业注册地：2、4 或 6 位区划代码，如 37、3713；不填为全平台。",
        attributes: { inputmode: "numeric", maxlength: "6", autocomplete: "off" },
      }),
      buildField({ name: "from", label: "起始日期", type: "date", hint: "含当天；默认最近 12 个月。" }),
      buildField({ name: "to", label: "结束日期", type: "date", hint: "含当天；期间最长 5 年。" }),
    ),
  );
  const exportButton = el("button", { type: "button", class: "btn btn-secondary" }, "导出 CSV（Excel）");
  const exportError = el("p", { class: "notice notice-error", role: "alert", hidden: true });
  exportButton.addEventListener("click", () => exportCsv(view, exportButton, exportError));
  form.append(
    el(
      "div",
      { class: "gov-actions" },
      el("button", { type: "submit", class: "btn btn-primary", "data-busy-text": "正在统计…" }, "查询"),
      exportButton,
    ),
    exportError,
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const params = checkedParams(form);
    if (!params) return;
    view.params = params;
    load(view);
  });
  return form;
}

function fiveYearsBefore(isoDate) {
  const [year, month, day] = isoDate.split("-");
  return `${Number(year) - 5}-${month}-${day}`;
}

/** The filter's values as query arguments, or null after showing what is wrong. */
function checkedParams(form) {
  clearErrors(form);
  const values = readForm(form);
  let ok = true;
  if (values.regionCode && !REGION_PATTERN.test(values.regionCode)) {
    showError(form, "regionCode", REGION_MESSAGE);
    ok = false;
  }
  if (values.from && values.to && values.from > values.to) {
    showError(form, "from", "起始日期不能晚于结束日期");
    ok = false;
  } else if (values.from && values.to && values.from <= fiveYearsBefore(values.to)) {
    showError(form, "from", "统计期间最长 5 年");
    ok = false;
  }
  if (!ok) {
    form.querySelector('[aria-invalid="true"]')?.focus();
    return null;
  }
  return { regionCode: values.regionCode || null, from: values.from || null, to: values.to || null };
}

async function fetchStatistics(view) {
  try {
    return (await graphql(STATISTICS, view.params)).platformStatistics;
  } catch (error) {
    // api.js keeps no message for VALIDATION_ERROR; the dates were checked here already, so
    // what the server refuses is the region code.
    if (error?.code !== "VALIDATION_ERROR") throw error;
    if (view.params.regionCode) showError(view.form, "regionCode", REGION_MESSAGE);
    throw new ApiError("统计条件无效，请按提示修改后重新查询", error.code);
  }
}

function load(view) {
  return loadInto(view.results, () => fetchStatistics(view), (stats) => {
    const from = view.form.querySelector('[name="from"]');
    const to = view.form.querySelector('[name="to"]');
    if (!from.value) from.value = stats.from;
    if (!to.value) to.value = stats.to;
    return results(stats);
  });
}

function scopeLine(stats) {
  const region = stats.regionCode ? `${stats.regionName ?? ""}（${stats.regionCode}）` : "全平台";
  const period = `${formatDate(stats.from)} 至 ${formatDate(stats.to)}`;
  return el("p", { class: "gov-scope" }, `统计区域：${region}；统计期间：${period}；生成时间：${formatDateTime(stats.generatedAt)}`);
}

function figure(labelText, value, note = null) {
  return el(
    "li",
    { class: "gov-figure" },
    el("p", { class: "gov-figure-label" }, labelText),
    el("p", { class: "gov-figure-value" }, value),
    note ? el("p", { class: "gov-figure-note" }, note) : null,
  );
}

const count = formatCount;

function keyFigures(stats) {
  const { enterprises, demands, applications, loans, policyReach, objections, dataQuality } = stats;
  const repairs = objections.repairRequests;
  return card(
    "主要指标",
    "gov-card",
    el(
      "ul",
      { class: "gov-figures" },
      figure("注册企业", `${formatCount(enterprises.registered)} 家`, `其中实名认证 ${formatCount(enterprises.verified)} 家`),
      figure("在营金融机构", `${formatCount(stats.institutions.active)} 家`, "全平台"),
      figure("在售贷款产品", `${formatCount(stats.products.active)} 款`, "全平台"),
      figure("融资需求", `${count(demands.count)} 笔`, `金额 ${formatAmount(demands.totalAmount)}；响应率 ${formatRate(demands.answeredShare)}`),
      figure("贷款申请", `${formatCount(applications.count)} 笔`, `审批通过率 ${formatRate(applications.approvalRate)}`),
      figure("放款金额", formatAmount(loans.totalAmount), `${formatCount(loans.count)} 笔`),
      figure(
        "信用贷款占比（按金额）",
        formatRate(loans.creditShareByAmount),
        `信用贷款 ${count(loans.creditLoanCount)} 笔，${formatAmount(loans.creditLoanAmount)}`,
      ),
      figure("首贷户", `${formatCount(loans.firstTimeBorrowers)} 户`, `首贷金额 ${formatAmount(loans.firstTimeAmount)}`),
      figure(
        "有效政策",
        `${count(policyReach.activePolicies)} 项`,
        `推送 ${count(policyReach.told)} 条，触达 ${count(policyReach.firmsTold)} 家，已读率 ${formatRate(policyReach.readShare)}`,
      ),
      figure(
        "异议",
        `${count(objections.count)} 件`,
        `按期转交率 ${formatRate(objections.onTimeShare)}；超期未转交 ${count(objections.overdueCount)} 件`,
      ),
      figure("信用修复申请", `${count(repairs.count)} 件`, `已审核 ${count(repairs.resolvedCount)} 件，通过 ${count(repairs.approvedCount)} 件`),
      figure(
        "数据报送",
        `${count(dataQuality.batchCount)} 批`,
        `入库 ${count(dataQuality.acceptedRows)} 条，拒收率 ${formatRate(dataQuality.rejectedShare)}`,
      ),
    ),
  );
}

const unit = (suffix) => (value) => `${formatCount(value)} ${suffix}`;

function lendingCharts(stats) {
  return card(
    "企业与融资",
    "gov-card",
    el(
      "div",
      { class: "gov-charts" },
      barChart({
        title: "企业（按主体类型）",
        items: stats.enterprises.byEntityType.map((row) => ({ label: row.label, values: [row.count, row.verifiedCount] })),
        series: [{ name: "注册" }, { name: "实名认证" }],
        format: unit("家"),
        empty: "暂无企业。",
      }),
      barChart({
        title: "贷款申请（按状态）",
        items: stats.applications.byStatus.map((row) => ({ label: row.label, values: [row.count] })),
        format: unit("笔"),
        empty: "统计期间内没有贷款申请。",
      }),
      barChart({
        title: "放款金额（按贷款状态）",
        items: stats.loans.byStatus.map((row) => ({ label: `${row.label}（${formatCount(row.count)} 笔）`, values: [row.amount] })),
        format: formatAmount,
        empty: "统计期间内没有放款。",
      }),
      barChart({
        title: "在售产品（按类型）",
        items: stats.products.byType.map((row) => ({ label: row.label, values: [row.count] })),
        format: unit("款"),
        empty: "没有在售产品。",
      }),
      barChart({
        title: "金融机构（按类别）",
        items: stats.institutions.byKind.map((row) => ({ label: row.label, values: [row.count] })),
        format: unit("家"),
        empty: "没有在营金融机构。",
      }),
    ),
  );
}

function reachCard(reach) {
  const policies = reach.policies;
  return card(
    "政策触达",
    "gov-card",
    barChart({
      title: "各项政策：符合条件的企业与已推送（只列有企业的政策）",
      items: policies
        .filter((row) => (row.matched ?? 0) > 0 || row.told > 0)
        .map((row) => ({ label: row.title, values: [row.matched ?? 0, row.told] })),
      series: [{ name: "符合条件" }, { name: "已推送" }],
      format: unit("家"),
      empty: "统计区域内暂无符合条件或已推送的企业。",
    }),
    reach.truncated ? el("p", { class: "hint" }, "政策超过 200 项，只列出最新发布的 200 项；合计数不受此限。") : null,
    policies.length > 0
      ? dataTable({
          ...GOV_TABLE,
          caption: "各项政策的触达情况",
          rows: policies,
          columns: [
            {
              label: "政策",
              rowHeader: true,
              cell: (row) => el("a", { href: `#gov-policy/${encodeURIComponent(row.policyId)}` }, row.title),
              className: "gov-title",
            },
            { label: "类型", cell: (row) => row.policyTypeLabel, className: "nowrap" },
            { label: "状态", cell: (row) => row.statusLabel, className: "nowrap" },
            { label: "符合条件企业", cell: (row) => (row.matched === null ? "—" : formatCount(row.matched)), className: "num" },
            { label: "已推送", cell: (row) => formatCount(row.told), className: "num" },
            { label: "已读", cell: (row) => formatCount(row.read), className: "num" },
            { label: "已读率", cell: (row) => formatRate(row.readShare), className: "num" },
          ],
        }).node
      : null,
  );
}

function objectionsCard(objections) {
  const hours = objections.medianResolutionHours === null ? "—" : `${formatCount(objections.medianResolutionHours)} 小时`;
  return card(
    "异议处理",
    "gov-card",
    barChart({
      title: "异议（按当前状态）",
      items: objections.byStatus.map((row) => ({ label: row.label, values: [row.count] })),
      format: unit("件"),
      empty: "统计期间内没有异议。",
    }),
    el(
      "p",
      { class: "gov-scope" },
      `已转交 ${count(objections.forwardedCount)} 件，其中按期 ${count(objections.forwardedOnTimeCount)} 件；` +
        `已处理 ${count(objections.resolvedCount)} 件，处理时长中位数 ${hours}。`,
    ),
  );
}

function qualityCard(quality) {
  return card(
    "数据质量",
    "gov-card",
    el("p", { class: "hint" }, `数据提供单位不按区域统计，为全平台数字；新鲜度计算至 ${formatDate(quality.asOf)}。`),
    barChart({
      title: "各数据提供单位入库记录数",
      items: quality.providers.map((row) => ({ label: row.name, values: [row.acceptedRows] })),
      format: unit("条"),
      empty: "统计期间内没有报送数据。",
    }),
    dataTable({
      ...GOV_TABLE,
      caption: "各数据提供单位的数据质量",
      rows: quality.providers,
      columns: [
        { label: "数据提供单位", rowHeader: true, cell: (row) => row.name },
        { label: "批次", cell: (row) => formatCount(row.batchCount), className: "num" },
        { label: "入库记录", cell: (row) => formatCount(row.acceptedRows), className: "num" },
        { label: "拒收记录", cell: (row) => formatCount(row.rejectedRows), className: "num" },
        { label: "拒收率", cell: (row) => formatRate(row.rejectedShare), className: "num" },
        { label: "最近报送", cell: (row) => (row.lastReceivedAt ? formatDateTime(row.lastReceivedAt) : "从未报送"), className: "nowrap" },
        { label: "距今天数", cell: (row) => (row.daysSinceLastBatch === null ? "—" : `${row.daysSinceLastBatch} 天`), className: "num" },
        { label: "现行记录", cell: (row) => formatCount(row.currentRecords), className: "num" },
      ],
    }).node,
  );
}

function results(stats) {
  return [
    scopeLine(stats),
    keyFigures(stats),
    lendingCharts(stats),
    reachCard(stats.policyReach),
    objectionsCard(stats.objections),
    qualityCard(stats.dataQuality),
  ];
}

function fileName(response) {
  const match = /filename="?([^";]+)"?/.exec(response.headers.get("Content-Disposition") ?? "");
  return match ? match[1] : "xinrong-statistics.csv";
}

async function exportMessage(response) {
  try {
    const body = await response.json();
    return body.errors.map((error) => error.message).join("；");
  } catch {
    return `导出失败（${response.status}），请稍后重试`;
  }
}

/** Download the CSV of the current filter: the token goes in a header, the file through a Blob URL. */
async function exportCsv(view, button, errorNode) {
  errorNode.hidden = true;
  const query = new URLSearchParams();
  for (const [name, value] of Object.entries(view.params)) if (value) query.set(name, value);
  await withBusyButton(button, "正在导出…", async () => {
    try {
      const response = await fetch(`/statistics/export.csv?${query}`, {
        headers: { Authorization: `Bearer ${getToken() ?? ""}` },
        credentials: "omit",
        cache: "no-store",
      });
      if (response.status === 401) {
        await graphql(SESSION_CHECK); // api.js takes the page back to sign-in
        throw new Error("session");
      }
      if (!response.ok) {
        errorNode.textContent = await exportMessage(response);
        errorNode.hidden = false;
        return;
      }
      saveBlob(await response.blob(), fileName(response));
    } catch (error) {
      if (error instanceof AuthRequiredError) return;
      errorNode.textContent = error instanceof TypeError ? "网络连接失败，请检查网络后重试" : errorMessage(error);
      errorNode.hidden = false;
    }
  });
}

function saveBlob(blob, name) {
  const url = URL.createObjectURL(blob);
  const link = el("a", { href: url, download: name, hidden: true });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10000);
}
