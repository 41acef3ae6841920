// credit_code.js — owns the "信用码" view (#credit-code): what the public credit code shows and to
// whom, the switch that turns it on or off (each way confirmed first, with its effect spelt out),
// and, while it is on, the QR code, the link with 复制链接, 保存二维码 and 打开公开页面.

import { AuthRequiredError, graphql } from "../api.js";
import { formatDateTime } from "../format.js";
import { CREDIT_CODE_STATUS, statusBadge } from "../statuses.js";
import { card, el, errorMessage, loadInto, uniqueId, withBusyButton } from "../ui.js";

const FIELDS = "enabled url qrSvgDataUri enabledAt";

const MY_CODE = `query MyCreditCode { myCreditCode { ${FIELDS} } }`;

const SET_CODE = `mutation SetCreditCode($enabled: Boolean!) {
  setCreditCode(enabled: $enabled) { creditCode { ${FIELDS} } errors { code field message } }
}`;

const QUESTIONS = {
  on:
    "开启后，任何拿到二维码或链接的人（如银行、合作伙伴、客户）都能看到本企业名称和当前信用评价等级，" +
    "不会看到统一社会信用代码、评分明细、信用记录和任何个人信息。确定开启吗？",
  off:
    "关闭后，现有的链接和二维码立即失效，已经分享或印制出去的二维码将无法再打开。" +
    "以后再次开启会生成新的二维码。确定关闭吗？",
};

const QR_LABEL = "本企业信用码的二维码：扫码打开公开页面，查看企业名称和信用评价等级";
const SVG_NS = "http://www.w3.org/2000/svg";
// What a QR code drawn by segno is made of; anything else in the SVG is left out.
const SVG_ELEMENTS = new Set(["g", "path", "rect"]);
const SVG_ATTRIBUTES = ["d", "fill", "stroke", "transform", "x", "y", "width", "height"];

const DONE = {
  on: "信用码已开启。扫描下方二维码或打开链接，即可看到本企业名称和信用评价等级。",
  off: "信用码已关闭，原来的链接和二维码已经失效。",
};

/** Draw #credit-code: load the firm's credit code and show it. */
export async function render(container) {
  await show(container, null);
}

async function show(container, notice) {
  await loadInto(
    container,
    async () => (await graphql(MY_CODE)).myCreditCode,
    (code) => draw(container, code, notice),
  );
}

function draw(container, code, notice) {
  const nodes = [
    notice ? el("p", { class: "notice notice-ok", role: "status" }, notice) : null,
    aboutCard(),
    switchCard(container, code),
    code.enabled ? codeCard(code) : null,
  ];
  return nodes.filter(Boolean);
}

function aboutCard() {
  return card(
    "信用码是什么",
    "credit-code-about",
    el(
      "p",
      {},
      "信用码是本企业信用评价的公开展示页面。开启后，您可以把二维码或链接发给银行、合作伙伴和客户，" +
        "对方无需登录即可查看。",
    ),
    el(
      "ul",
      { class: "credit-code-points" },
      el("li", {}, el("strong", {}, "公开的内容："), "企业名称、当前信用评价等级及评价日期。"),
      el(
        "li",
        {},
        el("strong", {}, "不公开的内容："),
        "统一社会信用代码、评分和评分明细、信用记录、法定代表人及任何个人信息。",
      ),
      el(
        "li",
        {},
        el("strong", {}, "随时可以关闭："),
        "关闭后链接和二维码立即失效；再次开启会生成新的链接，之前的二维码不再可用。",
      ),
    ),
  );
}

function switchCard(container, code) {
  const confirmArea = el("div", { class: "credit-code-confirm", id: uniqueId("credit-code-confirm") });
  const stateHint = el(
    "p",
    { class: "hint", id: uniqueId("credit-code-state") },
    code.enabled ? "当前已开启：任何人可通过链接或二维码查看。" : "当前未开启：没有任何公开页面。",
  );
  const toggle = el(
    "button",
    {
      type: "button",
      class: "credit-code-switch",
      "aria-pressed": String(code.enabled),
      "aria-describedby": stateHint.id,
      "aria-controls": confirmArea.id,
    },
    el(
      "span",
      { class: "credit-code-switch-track", "aria-hidden": "true" },
      el("span", { class: "credit-code-switch-thumb" }),
    ),
    el("span", { class: "credit-code-switch-text" }, "公开信用码"),
  );
  toggle.addEventListener("click", () => ask(container, code.enabled ? "off" : "on", toggle, confirmArea));
  return card(
    "公开设置",
    "credit-code-settings",
    el(
      "div",
      { class: "credit-code-switch-row" },
      toggle,
      statusBadge(CREDIT_CODE_STATUS, code.enabled ? "ON" : "OFF"),
    ),
    stateHint,
    confirmArea,
  );
}

/** Ask for a second, explicit yes, saying what the change will do. */
function ask(container, direction, toggle, area) {
  const questionId = uniqueId("credit-code-question");
  const question = el("p", { class: "credit-code-question", id: questionId }, QUESTIONS[direction]);
  const alert = el("p", { class: "notice notice-error", role: "alert", hidden: true });
  const yes = el(
    "button",
    { type: "button", class: "btn btn-primary", "aria-describedby": question.id },
    direction === "on" ? "确定开启" : "确定关闭",
  );
  const no = el("button", { type: "button", class: "btn btn-ghost" }, "取消");
  no.addEventListener("click", () => {
    area.replaceChildren();
    toggle.focus();
  });
  yes.addEventListener("click", () => change(container, direction, yes, alert));
  const label = direction === "on" ? "确认开启信用码" : "确认关闭信用码";
  area.replaceChildren(
    el(
      "div",
      { class: "credit-code-confirm-step", role: "group", "aria-label": label },
      question,
      el("div", { class: "credit-code-actions" }, yes, no),
      alert,
    ),
  );
  yes.focus();
}

async function change(container, direction, yes, alert) {
  alert.hidden = true;
  let payload;
  try {
    payload = await withBusyButton(yes, "正在保存…", async () =>
      (await graphql(SET_CODE, { enabled: direction === "on" })).setCreditCode,
    );
  } catch (error) {
    if (error instanceof AuthRequiredError) return;
    showAlert(alert, errorMessage(error));
    return;
  }
  if (payload.errors.length > 0) {
    showAlert(alert, payload.errors.map((e) => e.message).join("\n"));
    return;
  }
  await show(container, DONE[direction]);
  container.querySelector(".notice-ok")?.setAttribute("tabindex", "-1");
  container.querySelector(".notice-ok")?.focus();
}

function showAlert(alert, message) {
  alert.textContent = message;
  alert.hidden = false;
}

function codeCard(code) {
  const urlNode = el("p", { class: "mono credit-code-url", id: uniqueId("credit-code-url") }, code.url);
  const status = el("p", { class: "hint credit-code-copy-status", role: "status" });
  const copy = el(
    "button",
    { type: "button", class: "btn btn-secondary", "aria-describedby": urlNode.id },
    "复制链接",
  );
  copy.addEventListener("click", () => copyLink(code.url, urlNode, status));
  return card(
    "我的信用码",
    "credit-code-card",
    el(
      "figure",
      { class: "credit-code-figure" },
      qrPicture(code.qrSvgDataUri, QR_LABEL),
      el("figcaption", { class: "hint" }, "扫码查看本企业名称和信用评价等级"),
    ),
    el("p", { class: "credit-code-url-label" }, "公开页面链接"),
    urlNode,
    el(
      "div",
      { class: "credit-code-actions" },
      copy,
      el("a", { class: "btn btn-secondary", href: code.qrSvgDataUri, download: "信用码.svg" }, "保存二维码"),
      el("a", { class: "btn btn-primary", href: code.url }, "打开公开页面"),
    ),
    status,
    el("p", { class: "hint" }, `开启时间：${formatDateTime(code.enabledAt)}`),
  );
}

/** Copy the link; where the clipboard is not available, select it and say how to copy by hand. */
async function copyLink(url, urlNode, status) {
  status.textContent = "";
  try {
    if (!navigator.clipboard || !window.isSecureContext) throw new Error("clipboard unavailable");
    await navigator.clipboard.writeText(url);
    status.textContent = "链接已复制，可以粘贴发送给对方。";
  } catch {
    const range = document.createRange();
    range.selectNodeContents(urlNode);
    const selection = window.getSelection();
    selection.removeAllRanges();
    selection.addRange(range);
    status.textContent = "无法自动复制：链接已选中，请长按链接或按 Ctrl+C 手动复制。";
  }
}

/**
 * The QR code as an inline SVG picture with a text alternative. The page's security policy keeps
 * data: URIs out of <img>, so the server's SVG (a data: URI) is read and redrawn element by
 * element with createElementNS, keeping only the shapes a QR code needs.
 */
function qrPicture(dataUri, label) {
  const source = parseSvg(dataUri);
  if (!source) {
    return el("p", { class: "notice notice-error", role: "alert" }, "二维码无法显示，请复制下方链接使用。");
  }
  const svg = document.createElementNS(SVG_NS, "svg");
  svg.setAttribute("class", "credit-code-qr");
  svg.setAttribute("role", "img");
  svg.setAttribute("aria-label", label);
  svg.setAttribute("viewBox", source.getAttribute("viewBox"));
  svg.setAttribute("shape-rendering", "crispEdges");
  const title = document.createElementNS(SVG_NS, "title");
  title.textContent = label;
  svg.append(title, ...copyShapes(source));
  return svg;
}

/** The <svg> root of an SVG data URI, or null when it is not one (or has no viewBox). */
function parseSvg(dataUri) {
  const comma = dataUri ? dataUri.indexOf(",") : -1;
  if (comma < 0 || !dataUri.startsWith("data:image/svg+xml")) return null;
  let text;
  try {
    text = decodeURIComponent(dataUri.slice(comma + 1));
  } catch {
    return null;
  }
  const root = new DOMParser().parseFromString(text, "image/svg+xml").documentElement;
  const ok = root.namespaceURI === SVG_NS && root.localName === "svg" && root.getAttribute("viewBox");
  return ok ? root : null;
}

function copyShapes(source) {
  const copies = [];
  for (const child of source.children) {
    if (child.namespaceURI !== SVG_NS || !SVG_ELEMENTS.has(child.localName)) continue;
    const copy = document.createElementNS(SVG_NS, child.localName);
    for (const name of SVG_ATTRIBUTES) {
      const value = child.getAttribute(name);
      if (value !== null) copy.setAttribute(name, value);
    }
    copy.append(...copyShapes(child));
    copies.push(copy);
  }
  return copies;
}
