"""Accounts: sign-up, sign-in with lock-out and throttling, sessions, staff accounts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from backend.audit import service as audit
from backend.credit.models import DataProvider
from backend.db.base import utcnow
from backend.errors import DomainError, ErrorCode, check_each
from backend.identity.masking import mask_phone
from backend.identity.models import Account, AccountStatus, AuthSession, Role
from backend.identity.passwords import check_password_strength
from backend.identity.phone import normalize_phone
from backend.institutions.models import ApiToken, Institution, InstitutionStatus
from backend.observability import LOGIN_FAILURES
from backend.runtime import Runtime
from backend.security import throttle
from backend.security.actor import Actor
from backend.security.tokens import API_TOKEN_PREFIX, hash_token, new_token

LOGIN_FAILURES_BY_IP = "login_failure_ip"
DEPARTMENT_MAX = 100  # accounts.department


@dataclass(frozen=True)
class SignedIn:
    """An account and the bearer token of its new session (shown once)."""

    account: Account
    token: str


def actor_for(
    account: Account,
    *,
    client_ip: str | None,
    request_id: str | None,
    api_token: ApiToken | None = None,
) -> Actor:
    """The actor a signed-in account acts as (through ``api_token`` when one was presented)."""
    return Actor(
        account_id=account.id,
        role=account.role,
        enterprise_id=account.enterprise_id,
        institution_id=account.institution_id,
        data_provider_id=account.data_provider_id,
        client_ip=client_ip,
        request_id=request_id,
        api_token_id=api_token.id if api_token else None,
        api_scopes=frozenset(api_token.scopes or ()) if api_token else None,
    )


def _clean_display_name(display_name: str) -> str:
    name = (display_name or "").strip()
    if not 1 <= len(name) <= 50:
        raise DomainError(
            ErrorCode.VALIDATION_ERROR, "称呼应为 1 到 50 个字符", field="displayName"
        )
    return name


async def _phone_taken(session: AsyncSession, phone: str) -> bool:
    return (
        await session.execute(select(Account.id).where(Account.phone == phone))
    ).first() is not None


async def _open_session(
    session: AsyncSession, runtime: Runtime, account: Account, actor: Actor, user_agent: str | None
) -> str:
    token, token_hash = new_token()
    session.add(
        AuthSession(
            account_id=account.id,
            token_hash=token_hash,
            expires_at=utcnow() + timedelta(minutes=runtime.settings.session_ttl_minutes),
            client_ip=actor.client_ip,
            user_agent=(user_agent or "")[:255] or None,
        )
    )
    return token


async def register_account(
    *,
    session: AsyncSession,
    runtime: Runtime,
    actor: Actor,
    phone: str,
    password: str,
    display_name: str,
    user_agent: str | None = None,
) -> SignedIn:
    """Create an ENTERPRISE account and sign it in; staff accounts are made elsewhere."""
    phone, name, _ = check_each(
        lambda: normalize_phone(phone),
        lambda: _clean_display_name(display_name),
        lambda: check_password_strength(password, phone=phone),
    )
    if await _phone_taken(session, phone):
        raise DomainError(ErrorCode.PHONE_TAKEN, "该手机号已注册，请直接登录", field="phone")
    account = Account(
        phone=phone,
        display_name=name,
        password_hash=await runtime.passwords.hash(password),
        role=Role.ENTERPRISE.value,
    )
    session.add(account)
    await session.flush()
    token = await _open_session(session, runtime, account, actor, user_agent)
    await audit.record(
        session,
        keyring=runtime.keyring,
        actor=actor_for(account, client_ip=actor.client_ip, request_id=actor.request_id),
        action="account.register",
        subject_type="account",
        subject_id=account.id,
        details={"phone": mask_phone(phone)},
    )
    return SignedIn(account, token)


async def _record_login_failure(
    session: AsyncSession,
    runtime: Runtime,
    actor: Actor,
    *,
    account: Account | None,
    phone: str,
    reason: str,
) -> None:
    settings = runtime.settings
    if actor.client_ip:
        await throttle.add_event(
            session,
            bucket=LOGIN_FAILURES_BY_IP,
            key=actor.client_ip,
            window=timedelta(minutes=settings.login_ip_window_minutes),
        )
    LOGIN_FAILURES.labels(reason).inc()
    details = {"phone": mask_phone(phone), "reason": reason}
    if account is not None and reason == "bad_password":
        account.failed_login_count += 1
        details["failures"] = account.failed_login_count
        if account.failed_login_count >= settings.login_max_failures:
            account.locked_until = utcnow() + timedelta(minutes=settings.login_lock_minutes)
            account.failed_login_count = 0
            details["locked_until"] = account.locked_until.isoformat()
    await audit.record(
        session,
        keyring=runtime.keyring,
        actor=actor,
        action="auth.login",
        outcome="failure",
        subject_type="account",
        subject_id=account.id if account else None,
        details=details,
    )


async def login(
    *,
    session: AsyncSession,
    runtime: Runtime,
    actor: Actor,
    phone: str,
    password: str,
    user_agent: str | None = None,
) -> SignedIn:
    """Check the password and open a session.

    A failed attempt is committed before the error is raised: the failure count, the lock and
    the audit row must outlive the refused request.
    """
    settings = runtime.settings
    if actor.client_ip:
        failures = await throttle.recent_count(
            session,
            bucket=LOGIN_FAILURES_BY_IP,
            key=actor.client_ip,
            window=timedelta(minutes=settings.login_ip_window_minutes),
        )
        if failures >= settings.login_attempts_per_ip:
            raise DomainError(ErrorCode.RATE_LIMITED, "登录尝试过于频繁，请稍后再试")
    try:
        phone = normalize_phone(phone)
    except DomainError as exc:
        raise DomainError(ErrorCode.INVALID_CREDENTIALS, "手机号或密码不正确") from exc
    account = (
        await session.execute(select(Account).where(Account.phone == phone))
    ).scalar_one_or_none()
    now = utcnow()
    if account is not None and account.locked_until and account.locked_until > now:
        minutes = max(1, int((account.locked_until - now).total_seconds() // 60) + 1)
        await _record_login_failure(
            session, runtime, actor, account=account, phone=phone, reason="locked"
        )
        await session.commit()
        raise DomainError(
            ErrorCode.ACCOUNT_LOCKED, f"密码错误次数过多，账户已锁定，请约 {minutes} 分钟后再试"
        )
    password_ok = await runtime.passwords.verify(
        account.password_hash if account else None, password
    )
    if account is None or not password_ok:
        await _record_login_failure(
            session,
            runtime,
            actor,
            account=account,
            phone=phone,
            reason="unknown_phone" if account is None else "bad_password",
        )
        await session.commit()
        if account is not None and account.locked_until and account.locked_until > now:
            raise DomainError(
                ErrorCode.ACCOUNT_LOCKED,
                f"密码连续错误 {settings.login_max_failures} 次，账户已锁定 "
                f"{settings.login_lock_minutes} 分钟",
            )
        raise DomainError(ErrorCode.INVALID_CREDENTIALS, "手机号或密码不正确")
    if account.status != AccountStatus.ACTIVE.value:
        raise DomainError(ErrorCode.FORBIDDEN, "该账户已停用，请联系平台管理员")
    await _ensure_organisation_active(session, account)
    account.failed_login_count = 0
    account.locked_until = None
    account.last_login_at = now
    if runtime.passwords.needs_rehash(account.password_hash):
        account.password_hash = await runtime.passwords.hash(password)
    token = await _open_session(session, runtime, account, actor, user_agent)
    await audit.record(
        session,
        keyring=runtime.keyring,
        actor=actor_for(account, client_ip=actor.client_ip, request_id=actor.request_id),
        action="auth.login",
        subject_type="account",
        subject_id=account.id,
    )
    return SignedIn(account, token)


async def _ensure_organisation_active(session: AsyncSession, account: Account) -> None:
    if account.institution_id is None:
        return
    status = (
        await session.execute(
            select(Institution.status).where(Institution.id == account.institution_id)
        )
    ).scalar_one()
    if status != InstitutionStatus.ACTIVE.value:
        raise DomainError(ErrorCode.FORBIDDEN, "所属机构已被暂停或退出平台，无法登录")


@dataclass(frozen=True)
class Principal:
    """Who a bearer token stands for: an account, through a session or an institution API token."""

    account: Account
    api_token: ApiToken | None = None


API_TOKEN_TOUCH_INTERVAL = timedelta(minutes=1)


async def _session_account(session: AsyncSession, token: str) -> Account | None:
    row = (
        await session.execute(
            select(AuthSession, Account)
            .join(Account, Account.id == AuthSession.account_id)
            .where(AuthSession.token_hash == hash_token(token))
        )
    ).first()
    if row is None:
        return None
    auth_session, account = row
    if auth_session.revoked_at is not None or auth_session.expires_at <= utcnow():
        return None
    return account


async def _api_token_account(session: AsyncSession, token: str) -> Principal | None:
    row = (
        await session.execute(
            select(ApiToken, Account)
            .join(Account, Account.id == ApiToken.account_id)
            .where(ApiToken.token_hash == hash_token(token))
        )
    ).first()
    if row is None:
        return None
    api_token, account = row
    now = utcnow()
    if api_token.revoked_at is not None or api_token.expires_at <= now:
        return None
    if account.institution_id != api_token.institution_id:
        return None
    if api_token.last_used_at is None or now - api_token.last_used_at > API_TOKEN_TOUCH_INTERVAL:
        api_token.last_used_at = now  # the caller commits; at most once a minute per token
    return Principal(account, api_token)


async def authenticate(*, session: AsyncSession, token: str) -> Principal | None:
    """Who stands behind a bearer token (a session or an institution API token), or None when
    the token is unknown, expired or revoked, the account disabled, or its institution not
    active (so a suspension takes effect on the very next request)."""
    if not token or len(token) > 200:
        return None
    if token.startswith(API_TOKEN_PREFIX):
        principal = await _api_token_account(session, token)
    else:
        account = await _session_account(session, token)
        principal = Principal(account) if account is not None else None
    if principal is None or principal.account.status != AccountStatus.ACTIVE.value:
        return None
    if principal.account.institution_id is not None:
        try:
            await _ensure_organisation_active(session, principal.account)
        except DomainError:
            return None
    return principal


async def logout(*, session: AsyncSession, runtime: Runtime, actor: Actor, token: str) -> None:
    """Revoke the session of ``token`` (idempotent)."""
    await session.execute(
        update(AuthSession)
        .where(AuthSession.token_hash == hash_token(token), AuthSession.revoked_at.is_(None))
        .values(revoked_at=utcnow())
    )
    await audit.record(
        session,
        keyring=runtime.keyring,
        actor=actor,
        action="auth.logout",
        subject_type="account",
        subject_id=actor.account_id,
    )


async def create_staff_account(
    *,
    session: AsyncSession,
    runtime: Runtime,
    actor: Actor,
    phone: str,
    password: str,
    display_name: str,
    role: Role,
    institution_id: int | None = None,
    data_provider_id: int | None = None,
    department: str | None = None,
) -> Account:
    """Create a staff account; only government staff (or the system, when seeding) may."""
    if not actor.is_system and actor.role != Role.GOVERNMENT.value:
        raise DomainError(ErrorCode.FORBIDDEN, "只有政府工作人员可以创建工作人员账户")
    if role == Role.ENTERPRISE:
        raise DomainError(ErrorCode.VALIDATION_ERROR, "企业账户请由企业自行注册", field="role")
    phone = normalize_phone(phone)
    name = _clean_display_name(display_name)
    check_password_strength(password, phone=phone)
    department = (department or "").strip() or None
    if department is not None and len(department) > DEPARTMENT_MAX:
        raise DomainError(
            ErrorCode.VALIDATION_ERROR,
            f"部门名称不能超过 {DEPARTMENT_MAX} 个字符",
            field="department",
        )
    if role == Role.INSTITUTION:
        if institution_id is None or await session.get(Institution, institution_id) is None:
            raise DomainError(ErrorCode.NOT_FOUND, "找不到该金融机构", field="institutionId")
    elif institution_id is not None:
        raise DomainError(
            ErrorCode.VALIDATION_ERROR, "只有金融机构账户可以关联机构", field="institutionId"
        )
    if role == Role.DATA_PROVIDER:
        if data_provider_id is None or await session.get(DataProvider, data_provider_id) is None:
            raise DomainError(ErrorCode.NOT_FOUND, "找不到该数据提供单位", field="dataProviderId")
    elif data_provider_id is not None:
        raise DomainError(
            ErrorCode.VALIDATION_ERROR,
            "只有数据提供方账户可以关联数据提供单位",
            field="dataProviderId",
        )
    if await _phone_taken(session, phone):
        raise DomainError(ErrorCode.PHONE_TAKEN, "该手机号已注册", field="phone")
    account = Account(
        phone=phone,
        display_name=name,
        password_hash=await runtime.passwords.hash(password),
        role=role.value,
        institution_id=institution_id,
        data_provider_id=data_provider_id,
        department=department,
        created_by_account_id=actor.account_id,
    )
    session.add(account)
    await session.flush()
    await audit.record(
        session,
        keyring=runtime.keyring,
        actor=actor,
        action="account.create_staff",
        subject_type="account",
        subject_id=account.id,
        institution_id=institution_id,
        details={"role": role.value, "phone": mask_phone(phone)},
    )
    return account
