// verify.js — owns the 企业实名认证 form: live USCC checking while typing (a local check-character
// hint at once, then the server's validateUscc after a pause, showing 主体类型 and 登记地), the
// ID-number hint, and submitting verifyEnterprise. An IDENTITY_MISMATCH never says which field.

import { ApiError, AuthRequiredError, validateUscc, verifyEnterprise } from "./api.js";
import { clearErrors, readForm, showError, showUserErrors, submitForm } from "./form.js";
import { idNumberHint, normalizeCode, usccHint } from "./validate.js";

const DEBOUNCE_MS = 300;

function wireUsccCheck(form) {
  const input = form.elements.uscc;
  const hint = form.querySelector("#verify-uscc-hint");
  const info = form.querySelector("#verify-uscc-info");
  const defaultHint = hint.textContent;
  let timer = null;
  let latest = 0;

  function showInfo(result) {
    info.textContent = `主体类型：${result.entityTypeLabel || "—"}　登记地：${result.regionName || "未知地区"}`;
    info.hidden = false;
  }

  function hideInfo() {
    info.hidden = true;
    info.textContent = "";
  }

  async function askServer() {
    const code = normalizeCode(input.value);
    if (!code) return;
    latest += 1;
    const mine = latest;
    let result;
    try {
      result = await validateUscc(code);
    } catch (error) {
      if (!(error instanceof ApiError) && !(error instanceof AuthRequiredError)) console.error(error);
      return; // the local hint stays; the server checks again on submit
    }
    if (mine !== latest || normalizeCode(input.value) !== code) return; // a newer check is coming
    clearErrors(form, "uscc");
    if (result.valid) {
      showInfo(result);
    } else {
      hideInfo();
      for (const error of result.errors) showError(form, "uscc", error.message);
    }
  }

  input.addEventListener("input", () => {
    clearTimeout(timer);
    latest += 1; // any answer still on its way is now stale
    clearErrors(form, "uscc");
    hideInfo();
    const local = usccHint(input.value);
    hint.textContent = local.state === "partial" ? local.message : defaultHint;
    if (local.state === "invalid") showError(form, "uscc", local.message);
    // A full-length code goes to the server after a pause; a short one only gets the local hint.
    if (normalizeCode(input.value).length >= 18) timer = setTimeout(askServer, DEBOUNCE_MS);
  });

  input.addEventListener("blur", () => {
    // Leaving a half-typed code: let the server say what is wrong with it now.
    if (usccHint(input.value).state === "partial") {
      clearTimeout(timer);
      askServer();
    }
  });

  return {
    reset() {
      clearTimeout(timer);
      latest += 1;
      hideInfo();
      hint.textContent = defaultHint;
    },
    hideInfo,
  };
}

function wireIdNumberHint(form) {
  const input = form.elements.legalRepIdNumber;
  input.addEventListener("input", () => {
    clearErrors(form, "legalRepIdNumber");
    const local = idNumberHint(input.value);
    if (local.state === "invalid") showError(form, "legalRepIdNumber", local.message);
  });
  input.addEventListener("blur", () => {
    const value = normalizeCode(input.value);
    if (value && idNumberHint(value).state === "partial") {
      clearErrors(form, "legalRepIdNumber");
      showError(form, "legalRepIdNumber", `身份证号码应为18位，实际为${value.length}位`);
    }
  });
}

/**
 * Wire the verify form. `onVerified(enterprise)` runs after a successful verification.
 * Returns a reset function for when the view is shown afresh.
 */
export function wireVerifyForm(form, onVerified) {
  const usccCheck = wireUsccCheck(form);
  wireIdNumberHint(form);

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    submitForm(form, async () => {
      const values = readForm(form);
      const payload = await verifyEnterprise({
        uscc: normalizeCode(values.uscc),
        name: values.name,
        legalRepName: values.legalRepName,
        legalRepIdNumber: normalizeCode(values.legalRepIdNumber),
      });
      if (payload.errors.length > 0) {
        if (payload.errors.some((e) => e.field === "uscc")) usccCheck.hideInfo();
        showUserErrors(form, payload.errors);
        return;
      }
      if (!payload.enterprise) throw new ApiError("认证没有完成，请稍后重试");
      form.reset();
      usccCheck.reset();
      await onVerified(payload.enterprise);
    });
  });

  return () => {
    form.reset();
    clearErrors(form);
    usccCheck.reset();
  };
}
