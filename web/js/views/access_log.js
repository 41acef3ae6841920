// access_log.js — owns the "查询记录" view (#access-log): every time an institution read the
// enterprise's data — who (institution, staff member or its system), when, which data, for what
// and under which authorisation — newest first, a page at a time ("加载更多"). Free and complete.

import { graphql } from "../api.js";
import { formatDateTime } from "../format.js";
import { label } from "../labels.js";
import { ACCESS_KIND_LABELS, ACCESS_PURPOSE_LABELS } from "../statuses.js";
import { card, el, facts } from "../ui.js";
import { itemArticle, pagedList } from "./finance_common.js";

const PAGE_SIZE = 20;

const ACCESS_LOG = `query MyDataAccessLog($first: Int!, $after: ID) {
  myDataAccessLog(first: $first, after: $after) {
    id institutionName staffName viaApi kind categoryLabels purpose purposeLabel authorizationIds accessedAt
  }
}`;

/** Draw #access-log. */
export async function render(container) {
  const listArea = el("div");
  container.replaceChildren(
    el(
      "p",
      { class: "lead" },
      "金融机构每一次查看本企业的信用报告、调用接口查询或查看法定代表人身份证号码，都记录在这里，免费、完整。",
    ),
    card("谁查看了我的数据", "fin-card", listArea),
    el("p", { class: "hint" }, "发现未经您授权的查询？可在“授权管理”中撤销授权，或通过“异议与修复”反映。"),
    el("p", {}, el("a", { href: "#consents" }, "前往授权管理")),
  );
  await pagedList(listArea, {
    fetchPage: async (after) => (await graphql(ACCESS_LOG, { first: PAGE_SIZE, after })).myDataAccessLog,
    renderItem: accessItem,
    emptyText: "还没有金融机构查询过本企业的数据。",
    pageSize: PAGE_SIZE,
    listLabel: "查询记录列表",
  });
}

function who(entry) {
  if (entry.viaApi) return `${entry.institutionName}（机构系统通过接口查询）`;
  return entry.staffName ? `${entry.institutionName} · ${entry.staffName}` : entry.institutionName;
}

function basis(entry) {
  if (entry.authorizationIds.length === 0) {
    return entry.kind === "BATCH" ? "依法公开的信息，无需授权" : "无（公开信息）";
  }
  return `授权编号 ${entry.authorizationIds.join("、")}`;
}

function accessItem(entry) {
  return itemArticle(
    { title: who(entry) },
    facts([
      ["时间", formatDateTime(entry.accessedAt)],
      ["方式", label(ACCESS_KIND_LABELS, entry.kind)],
      ["查看的信息", entry.categoryLabels.length > 0 ? entry.categoryLabels.join("、") : "—"],
      ["用途", entry.purposeLabel || ACCESS_PURPOSE_LABELS[entry.purpose] || null],
      ["依据的授权", basis(entry)],
    ]),
  );
}
