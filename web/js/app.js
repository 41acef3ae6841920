// app.js — owns the page as a whole: which view shows (hash routes #login, #register, #verify,
// #me, and the enterprise's views listed in views/registry.js such as #credit or #records/tax —
// never anything secret in the URL), signing in, registering, signing out and loading the
// signed-in account. The details live in api.js, form.js, verify.js, account.js and views/.

import * as api from "./api.js";
import { renderAccount } from "./account.js";
import { hidePasswords, readForm, showUserErrors, submitForm, wirePasswordToggles } from "./form.js";
import { showError as showLoadError, showLoading, errorMessage } from "./ui.js";
import { wireVerifyForm } from "./verify.js";
import { VIEWS as PAGE_VIEWS, allowed } from "./views/registry.js";

const VIEWS = ["login", "register", "verify", "me", "page"];
const PUBLIC_VIEWS = new Set(["login", "register"]);
const TITLES = { login: "登录", register: "注册", verify: "企业实名认证", me: "我的" };

const state = {
  me: null, // the signed-in account, once loaded
  flash: null, // {message, kind}: shown once, on the next view
  resetVerify: () => {},
  passwordRuleLoaded: false,
  routing: 0,
};

const byId = (id) => document.getElementById(id);

function showNotice(flash) {
  const notice = byId("global-notice");
  notice.textContent = flash ? flash.message : "";
  notice.className = `notice${flash?.kind === "error" ? " notice-error" : " notice-ok"}`;
  notice.hidden = !flash;
}

function showView(name, focus, title = TITLES[name]) {
  byId("view-loading").hidden = true;
  for (const view of VIEWS) byId(`view-${view}`).hidden = view !== name;
  byId("logout-button").hidden = !api.getToken();
  document.title = `${title} · 信融`;
  if (name !== "login" && name !== "register") hidePasswords(document);
  if (focus) byId(`${name}-title`).focus();
}

/** Go to a view (through the hash, so the back button works). */
function go(name) {
  if (location.hash === `#${name}`) route({ focus: true });
  else location.hash = name;
}

function redirect(name) {
  history.replaceState(null, "", `#${name}`);
  return name;
}

async function loadPasswordRule() {
  if (state.passwordRuleLoaded) return;
  try {
    byId("password-rule").textContent = await api.fetchPasswordRule();
    state.passwordRuleLoaded = true;
  } catch {
    // keep the short rule already in the page; the server explains any refusal anyway
  }
}

function showMeError(message) {
  const container = byId("me-content");
  const text = document.createElement("p");
  text.className = "notice notice-error";
  text.setAttribute("role", "alert");
  text.textContent = message;
  const retry = document.createElement("button");
  retry.type = "button";
  retry.className = "btn btn-secondary btn-block";
  retry.textContent = "重试";
  retry.addEventListener("click", () => route({ focus: true }));
  container.replaceChildren(text, retry);
}

/** Draw one of the enterprise's views (views/registry.js) with its argument. */
async function showPageView(pageName, arg, focus, run) {
  const entry = PAGE_VIEWS[pageName];
  byId("page-title").textContent = entry.title;
  // Each view draws into its own element: a late answer of a view already left lands nowhere.
  const content = document.createElement("div");
  byId("page-content").replaceChildren(content);
  showLoading(content);
  document.body.classList.toggle("wide", Boolean(entry.wide));
  showView("page", focus, entry.title);
  let flashed = null;
  const context = {
    me: state.me,
    arg,
    go: (hash) => {
      if (flashed) state.flash = flashed;
      go(hash);
    },
    refreshMe: async () => {
      state.me = await api.fetchMe();
      return state.me;
    },
    // A flash shows now, and once more on the next view only when this view goes on to it.
    flash: (message, kind = "ok") => {
      flashed = { message, kind };
      showNotice(flashed);
    },
  };
  try {
    const module = await import(`./${entry.module}`);
    if (run !== state.routing) return;
    await module.render(content, context);
  } catch (error) {
    if (error instanceof api.AuthRequiredError || run !== state.routing) return;
    showLoadError(content, errorMessage(error), () => route({ focus: true }));
  }
}

/** Show the view the hash asks for, as far as the session allows. */
async function route({ focus = false } = {}) {
  const run = ++state.routing;
  const signedIn = Boolean(api.getToken());
  const [hashName, ...rest] = location.hash.slice(1).split("/");
  let name = hashName;
  const arg = rest.length > 0 ? decodeURIComponent(rest.join("/")) : null;
  const pageName = Object.hasOwn(PAGE_VIEWS, name) ? name : null;
  if (pageName) name = "page";
  else if (name === "page" || !VIEWS.includes(name)) name = redirect(signedIn ? "me" : "login");
  if (!signedIn && !PUBLIC_VIEWS.has(name)) name = redirect("login");
  if (signedIn && PUBLIC_VIEWS.has(name)) name = redirect("me");

  if (signedIn && !state.me) {
    try {
      state.me = await api.fetchMe();
    } catch (error) {
      if (error instanceof api.AuthRequiredError) return; // onAuthLost has taken over
      if (run !== state.routing) return;
      showNotice(null);
      showMeError(error.message);
      showView(redirect("me"), focus);
      return;
    }
    if (run !== state.routing) return;
  }
  if (name === "verify" && (state.me.role !== "ENTERPRISE" || state.me.enterprise)) name = redirect("me");
  if (name === "page" && !allowed(pageName, state.me)) {
    name = redirect(state.me.role === "ENTERPRISE" && !state.me.enterprise ? "verify" : "me");
  }
  if (name !== "page") document.body.classList.remove("wide");

  showNotice(state.flash);
  state.flash = null;
  if (name === "page") {
    await showPageView(pageName, arg, focus, run);
    return;
  }
  if (name === "me") renderAccount(byId("me-content"), state.me);
  if (name === "register") loadPasswordRule();
  showView(name, focus);
}

/** After login or registration: load the account, then show `next`. */
async function enterSignedIn(next) {
  try {
    state.me = await api.fetchMe();
  } catch (error) {
    if (error instanceof api.AuthRequiredError) throw error;
    state.me = null; // route() tries again and offers a retry
  }
  go(next);
}

function wireLogin() {
  const form = byId("login-form");
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    submitForm(form, async () => {
      const values = readForm(form);
      const payload = await api.login({ phone: values.phone, password: values.password });
      if (payload.errors.length > 0 || !payload.token) {
        showUserErrors(form, payload.errors);
        return;
      }
      api.setToken(payload.token);
      form.reset();
      await enterSignedIn("me");
    });
  });
}

function wireRegister() {
  const form = byId("register-form");
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    submitForm(form, async () => {
      const values = readForm(form);
      const payload = await api.registerAccount({
        phone: values.phone,
        password: values.password,
        displayName: values.displayName,
      });
      if (payload.errors.length > 0 || !payload.token) {
        showUserErrors(form, payload.errors);
        return;
      }
      api.setToken(payload.token);
      form.reset();
      state.flash = { message: "注册成功，欢迎使用信融。下一步请完成企业实名认证。", kind: "ok" };
      await enterSignedIn("verify");
    });
  });
}

function wireLogout() {
  const button = byId("logout-button");
  button.addEventListener("click", async () => {
    button.disabled = true;
    button.setAttribute("aria-busy", "true");
    try {
      await api.logout();
    } catch {
      // the token is dropped below either way; an unreachable server lets it expire
    } finally {
      button.disabled = false;
      button.removeAttribute("aria-busy");
    }
    api.clearToken();
    state.me = null;
    state.resetVerify();
    state.flash = { message: "您已退出登录。", kind: "ok" };
    go("login");
  });
}

function start() {
  api.onAuthLost((message) => {
    state.me = null;
    state.resetVerify();
    state.flash = { message, kind: "error" };
    redirect("login");
    route({ focus: true });
  });
  wirePasswordToggles(document);
  wireLogin();
  wireRegister();
  wireLogout();
  state.resetVerify = wireVerifyForm(byId("verify-form"), async () => {
    state.me = await api.fetchMe();
    state.flash = { message: "企业实名认证成功。", kind: "ok" };
    go("me");
  });
  window.addEventListener("hashchange", () => route({ focus: true }));
  route();
}

start();
