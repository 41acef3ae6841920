// api.js — owns the conversation with POST /graphql: the session token (sessionStorage, sent as
// "Authorization: Bearer …", never in a URL), the operations this page uses, and turning
// transport and GraphQL errors into exceptions with Chinese messages.

const TOKEN_KEY = "xinrong.sessionToken";
const ENDPOINT = "/graphql";

/** Thrown when the server says the caller is not signed in; the token is already dropped. */
export class AuthRequiredError extends Error {}

let authLostHandler = () => {};

/** Call `handler(message)` whenever the server says the session is gone (NOT_AUTHENTICATED). */
export function onAuthLost(handler) {
  authLostHandler = handler;
}

/** Thrown for network failures and unexpected GraphQL errors; `message` is for people. */
export class ApiError extends Error {
  constructor(message, code = null, field = null) {
    super(message);
    this.code = code;
    this.field = field;
  }
}

/** Error codes whose message is written for the person using the page. */
const SAYABLE = new Set([
  "FORBIDDEN", "VALIDATION_ERROR", "NOT_FOUND", "NOT_AUTHORIZED", "RATE_LIMITED", "SERVICE_UNAVAILABLE",
]);

export function getToken() {
  try {
    return sessionStorage.getItem(TOKEN_KEY);
  } catch {
    return null;
  }
}

export function setToken(token) {
  sessionStorage.setItem(TOKEN_KEY, token);
}

export function clearToken() {
  try {
    sessionStorage.removeItem(TOKEN_KEY);
  } catch {
    // storage unavailable: nothing to clear
  }
}

/** Run one GraphQL operation and return its `data`; `extraHeaders` e.g. {"Idempotency-Key": …}. */
export async function graphql(query, variables = {}, extraHeaders = {}) {
  const headers = { ...extraHeaders, "Content-Type": "application/json", Accept: "application/json" };
  const token = getToken();
  if (token) headers.Authorization = `Bearer ${token}`;
  let response;
  try {
    response = await fetch(ENDPOINT, {
      method: "POST",
      headers,
      body: JSON.stringify({ query, variables }),
      credentials: "omit",
      cache: "no-store",
    });
  } catch {
    throw new ApiError("网络连接失败，请检查网络后重试");
  }
  let body;
  try {
    body = await response.json();
  } catch {
    throw new ApiError(`服务暂时不可用（${response.status}），请稍后重试`);
  }
  const errors = Array.isArray(body.errors) ? body.errors : [];
  if (errors.some((e) => e.extensions?.code === "NOT_AUTHENTICATED")) {
    clearToken();
    const message = "登录已失效，请重新登录";
    authLostHandler(message);
    throw new AuthRequiredError(message);
  }
  if (errors.length > 0) {
    const first = errors[0];
    const code = first.extensions?.code ?? null;
    // Refusals and argument checks carry a Chinese message for people; anything else does not.
    const readable = SAYABLE.has(code) && first.message ? first.message : "服务出现问题，请稍后重试";
    throw new ApiError(readable, code, first.extensions?.field ?? null);
  }
  if (!body.data) throw new ApiError("服务出现问题，请稍后重试");
  return body.data;
}

const ENTERPRISE_FIELDS = `uscc name entityType entityTypeLabel regionName legalRepName legalRepIdNumberMasked
  establishedOn registrationStatus`;
const USER_ERROR = "errors { code field message }";

export async function fetchPasswordRule() {
  return (await graphql("query PasswordRule { passwordRule }")).passwordRule;
}

export async function registerAccount(input) {
  const data = await graphql(
    `mutation Register($input: RegisterAccountInput!) {
      registerAccount(input: $input) { token account { id role phoneMasked displayName } ${USER_ERROR} }
    }`,
    { input },
  );
  return data.registerAccount;
}

export async function login(input) {
  const data = await graphql(
    `mutation Login($input: LoginInput!) {
      login(input: $input) { token account { id role } ${USER_ERROR} }
    }`,
    { input },
  );
  return data.login;
}

export async function logout() {
  const data = await graphql(`mutation Logout { logout { errors { code message } } }`);
  return data.logout;
}

export async function fetchMe() {
  const data = await graphql(
    `query Me {
      me { role displayName phoneMasked department verifiedAt
           enterprise { ${ENTERPRISE_FIELDS} } institution { name kind } dataProvider { name } }
    }`,
  );
  return data.me;
}

export async function validateUscc(code) {
  const data = await graphql(
    `query ValidateUscc($code: String!) {
      validateUscc(code: $code) { valid code entityType entityTypeLabel regionCode regionName ${USER_ERROR} }
    }`,
    { code },
  );
  return data.validateUscc;
}

export async function verifyEnterprise(input) {
  const data = await graphql(
    `mutation Verify($input: VerifyEnterpriseInput!) {
      verifyEnterprise(input: $input) { enterprise { ${ENTERPRISE_FIELDS} } ${USER_ERROR} }
    }`,
    { input },
  );
  return data.verifyEnterprise;
}
