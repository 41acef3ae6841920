// objections.js — owns #objections (异议与信用修复). The argument picks a form:
//   #objections                 only the lists below;
//   #objections/<record id>     an objection to that record (fileObjection: reason 5–1000 字);
//   #objections/repair-<id>     credit repair of that penalty (requestCreditRepair: reason and the
//                               《信用修复承诺书》 accepted in full).
// The record is shown briefly when it was seen on this page (records.js remembers it; after a
// reload only its number is known: the API has no query for one record). Always shown: the
// firm's objections and repair requests with status badges, the forwarding deadline (转交期限,
// 2 working days) and overdue ones marked. After a filing the address becomes #objections.

import { graphql } from "../api.js";
import { formatDay } from "../dates.js";
import { reasonField } from "../fields.js";
import { formErrorSlot, readForm, showUserErrors, submitForm } from "../form.js";
import { formatDate, formatDateTime } from "../format.js";
import { OBJECTION_OVERDUE, OBJECTION_STATUS, REPAIR_STATUS, statusBadge } from "../statuses.js";
import { backLink, card, el, emptyState, facts, loadInto } from "../ui.js";
import {
  commitmentBlock,
  fieldRows,
  freshMount,
  loadSharingCategories,
  rememberedRecord,
} from "./credit_common.js";

const RECORD = "record { id categoryLabel occurredOn source }";
const LISTS = `query MyObjectionsAndRepairs {
  myObjections { id status reason filedAt forwardDueAt forwardedAt resolvedAt resolutionReason overdue ${RECORD} }
  myRepairRequests { id status reason eligibleFrom filedAt resolvedAt resolutionReason ${RECORD} }
}`;
const FILE_OBJECTION = `mutation FileObjection($input: FileObjectionInput!) {
  fileObjection(input: $input) { objection { id forwardDueAt } errors { code field message } }
}`;
const REQUEST_REPAIR = `mutation RequestCreditRepair($input: RequestCreditRepairInput!) {
  requestCreditRepair(input: $input) { repairRequest { id } errors { code field message } }
}`;
const REPAIR_COMMITMENT = `query RepairCommitment { commitmentText(kind: "repair") { kind version title text } }`;
const BRIEF_FIELDS = 4;

/** What the argument asks for: {mode: "list" | "objection" | "repair" | "invalid", recordId}. */
function parseArg(arg) {
  if (!arg) return { mode: "list", recordId: null };
  const repair = /^repair-(\d+)$/.exec(arg);
  if (repair) return { mode: "repair", recordId: repair[1] };
  if (/^\d+$/.test(arg)) return { mode: "objection", recordId: arg };
  return { mode: "invalid", recordId: null };
}

function recordTitle(record) {
  return `${record.categoryLabel} · ${record.occurredOn ? formatDate(record.occurredOn) : "日期未知"}`;
}

/** The record the form is about, briefly (a few fields when the page has seen it). */
async function recordBrief(recordId) {
  const record = rememberedRecord(recordId);
  if (!record) {
    return el(
      "div",
      { class: "record-brief" },
      el("p", {}, `信用记录（编号 ${recordId}）`),
      el("p", { class: "hint" }, "记录详情可在信用档案的对应类别中查看。"),
    );
  }
  let rows = [];
  try {
    rows = fieldRows(record.fields, (await loadSharingCategories())[record.category]).slice(0, BRIEF_FIELDS);
  } catch {
    rows = []; // the brief still names the record, its source and date
  }
  return el(
    "div",
    { class: "record-brief" },
    el("h3", {}, recordTitle(record)),
    facts([["数据来源", record.source], ...rows, ["记录编号", record.id, { mono: true }]]),
  );
}

/** After a filing: the success notice in place of the form, the address back to #objections. */
function filed(holder, message, refreshLists) {
  history.replaceState(null, "", "#objections");
  const notice = el("p", { class: "notice notice-ok", tabindex: "-1" }, message);
  holder.replaceChildren(notice, el("a", { class: "btn btn-secondary btn-block", href: "#credit" }, "返回信用档案"));
  notice.focus();
  refreshLists();
}

function submitButton(text) {
  return el("button", { type: "submit", class: "btn btn-primary btn-block", "data-busy-text": "正在提交…" }, text);
}

/** The required reason box (5–1000 字) with its live count. */
function enterpriseReason(label, hint) {
  return reasonField({ label, hint, required: true, requiredMessage: `请填写${label}`, counter: true });
}

function objectionForm(recordId, holder, refreshLists) {
  const form = el(
    "form",
    { class: "form", novalidate: true },
    formErrorSlot(),
    enterpriseReason("异议理由", "请说明哪一项信息有误、实际情况如何，5 到 1000 个字。"),
    el("p", { class: "hint" }, "平台受理后 2 个工作日内将异议转交信用信息提供单位核查，结果会通过消息通知您。"),
    submitButton("提交异议"),
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    submitForm(form, async () => {
      const input = { recordId, reason: readForm(form).reason };
      const payload = (await graphql(FILE_OBJECTION, { input })).fileObjection;
      if (payload.errors.length > 0) {
        showUserErrors(form, payload.errors);
        return;
      }
      const due = formatDay(payload.objection.forwardDueAt);
      filed(holder, `异议已受理，将于 ${due} 24时前转交核查。`, refreshLists);
    });
  });
  return form;
}

function repairForm(recordId, commitment, holder, refreshLists) {
  const form = el(
    "form",
    { class: "form", novalidate: true },
    formErrorSlot(),
    enterpriseReason("修复理由", "请说明已如何纠正失信行为、履行处罚决定规定的义务，5 到 1000 个字。"),
    commitmentBlock(commitment, `我已阅读并承诺遵守《${commitment.title}》`),
    submitButton("提交信用修复申请"),
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    submitForm(form, async () => {
      const values = readForm(form);
      const input = {
        recordId,
        reason: values.reason,
        acceptCommitment: values.acceptCommitment === true,
        commitmentVersion: values.commitmentVersion || null,
      };
      const payload = (await graphql(REQUEST_REPAIR, { input })).requestCreditRepair;
      if (payload.errors.length > 0) {
        showUserErrors(form, payload.errors);
        return;
      }
      filed(holder, "信用修复申请已受理，审核结果将通过消息通知您。", refreshLists);
    });
  });
  return form;
}

/** The form card for the argument's mode (null for the plain lists). */
function formCard({ mode, recordId }, refreshLists) {
  if (mode === "list") return null;
  if (mode === "invalid") {
    return card("链接无效", "objection-form", emptyState("请在信用记录下点击“提出异议”或“申请信用修复”。"));
  }
  const holder = el("div");
  const repair = mode === "repair";
  loadInto(
    holder,
    async () => ({
      brief: await recordBrief(recordId),
      commitment: repair ? (await graphql(REPAIR_COMMITMENT)).commitmentText : null,
    }),
    ({ brief, commitment }) => [
      brief,
      repair ? repairForm(recordId, commitment, holder, refreshLists) : objectionForm(recordId, holder, refreshLists),
    ],
  );
  return card(repair ? "申请信用修复" : "提出异议", "objection-form", holder);
}

function objectionItem(objection) {
  const headingId = `objection-${objection.id}-title`;
  const due = formatDay(objection.forwardDueAt);
  return el(
    "li",
    {},
    el(
      "article",
      { class: `objection-card${objection.overdue ? " is-overdue" : ""}`, "aria-labelledby": headingId },
      el(
        "div",
        { class: "objection-head" },
        el("h3", { id: headingId }, recordTitle(objection.record)),
        statusBadge(OBJECTION_STATUS, objection.status),
        objection.overdue ? statusBadge(OBJECTION_OVERDUE, "OVERDUE") : null,
      ),
      facts([
        ["提出时间", formatDateTime(objection.filedAt)],
        ["转交期限", objection.overdue ? `${due} 24时前（已超期）` : `${due} 24时前`],
        ["转交时间", objection.forwardedAt ? formatDateTime(objection.forwardedAt) : null],
        ["处理时间", objection.resolvedAt ? formatDateTime(objection.resolvedAt) : null],
        ["处理意见", objection.resolutionReason],
        ["异议理由", objection.reason],
      ]),
    ),
  );
}

function repairItem(request) {
  const headingId = `repair-${request.id}-title`;
  return el(
    "li",
    {},
    el(
      "article",
      { class: "objection-card", "aria-labelledby": headingId },
      el(
        "div",
        { class: "objection-head" },
        el("h3", { id: headingId }, recordTitle(request.record)),
        statusBadge(REPAIR_STATUS, request.status),
      ),
      facts([
        ["申请时间", formatDateTime(request.filedAt)],
        ["可申请日期", formatDate(request.eligibleFrom)],
        ["审核时间", request.resolvedAt ? formatDateTime(request.resolvedAt) : null],
        ["审核意见", request.resolutionReason],
        ["修复理由", request.reason],
      ]),
    ),
  );
}

function lists(data) {
  return [
    card(
      "我的异议",
      "objection-list",
      data.myObjections.length > 0
        ? el("ul", { class: "objection-cards" }, data.myObjections.map(objectionItem))
        : emptyState("尚未提出异议。认为信用记录有误时，可在该条记录下点击“提出异议”。"),
    ),
    card(
      "我的信用修复申请",
      "repair-list",
      data.myRepairRequests.length > 0
        ? el("ul", { class: "objection-cards" }, data.myRepairRequests.map(repairItem))
        : emptyState("尚未申请信用修复。行政处罚公示期满最短期限后，可在该条记录下申请。"),
    ),
  ];
}

/** Draw #objections[/<record id> | /repair-<record id>]: the form asked for, then both lists. */
export async function render(container, context) {
  const listHolder = el("div");
  const refreshLists = () => loadInto(listHolder, () => graphql(LISTS), lists);
  const form = formCard(parseArg(context.arg), refreshLists);
  const back = backLink("#credit", "返回信用档案");
  freshMount(container).replaceChildren(...[back, form, listHolder].filter(Boolean));
  await refreshLists();
}
