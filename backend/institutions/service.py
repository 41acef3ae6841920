"""Admitting institutions after a security assessment, suspending or revoking them (有进有出),
and the API tokens their own systems call the platform with.

Only government staff admit, suspend and revoke institutions and issue tokens. A token is shown
once; only its SHA-256 and an 8-character hint are kept. Token management needs a signed-in
session: an API token cannot list, issue or revoke tokens, so a leaked token cannot lock the
institution out or hide itself.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any, NamedTuple

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from backend.audit import service as audit
from backend.db.base import utcnow
from backend.errors import DomainError, ErrorCode, check_each
from backend.identity.models import Account, AccountStatus, AuthSession, Role
from backend.identity.uscc import parse_uscc
from backend.institutions import checks
from backend.institutions.models import (
    ApiScope,
    ApiToken,
    Institution,
    InstitutionKind,
    InstitutionStatus,
)
from backend.runtime import Runtime
from backend.security.actor import Actor
from backend.security.lifecycle import lifecycle_state
from backend.security.tokens import API_TOKEN_PREFIX, new_token

TOKEN_HINT_LENGTH = 8

#: Allowed status changes; REVOKED (退出) is final.
TRANSITIONS = {
    InstitutionStatus.ACTIVE: frozenset({InstitutionStatus.SUSPENDED, InstitutionStatus.REVOKED}),
    InstitutionStatus.SUSPENDED: frozenset({InstitutionStatus.ACTIVE, InstitutionStatus.REVOKED}),
    InstitutionStatus.REVOKED: frozenset(),
}
STATUS_LABELS = {
    InstitutionStatus.ACTIVE: "正常",
    InstitutionStatus.SUSPENDED: "暂停",
    InstitutionStatus.REVOKED: "退出",
}


class ApiTokenStatus(StrEnum):
    """The computed state of a token (not stored: expiry is a matter of time)."""

    ACTIVE = "ACTIVE"
    EXPIRED = "EXPIRED"
    REVOKED = "REVOKED"


def token_status(token: ApiToken, now: datetime | None = None) -> ApiTokenStatus:
    """ACTIVE, EXPIRED or REVOKED; revocation wins over expiry."""
    return ApiTokenStatus(lifecycle_state(token.revoked_at, token.expires_at, now))


class IssuedToken(NamedTuple):
    """A new API token row and the token itself, which is shown this once and never stored."""

    api_token: ApiToken
    token: str


# --- who may, and what exists --------------------------------------------------------------


def _require_government(actor: Actor, *, allow_system: bool = False) -> None:
    if allow_system and actor.is_system:
        return
    if actor.role != Role.GOVERNMENT.value:
        raise DomainError(ErrorCode.FORBIDDEN, "只有政府工作人员可以管理金融机构的接入")


def _require_session(actor: Actor) -> None:
    if actor.api_token_id is not None:
        raise DomainError(ErrorCode.FORBIDDEN, "API 令牌不能管理令牌，请工作人员登录后操作")


async def _uscc_taken(session: AsyncSession, uscc: str) -> bool:
    found = await session.execute(select(Institution.id).where(Institution.uscc == uscc))
    return found.first() is not None


async def _institution(
    session: AsyncSession, institution_id: int, *, for_update: bool = False
) -> Institution:
    # Locked (PostgreSQL) when changing status, so that two officers' changes queue up.
    institution = await session.get(Institution, institution_id, with_for_update=for_update)
    if institution is None:
        raise DomainError(ErrorCode.NOT_FOUND, "找不到该金融机构", field="institutionId")
    return institution


# --- institutions -------------------------------------------------------------------------


async def onboard_institution(
    *,
    session: AsyncSession,
    runtime: Runtime,
    actor: Actor,
    name: str,
    uscc: str,
    kind: InstitutionKind | str,
    region_codes: list[str],
    assessment: Mapping[str, Any],
) -> Institution:
    """Admit an institution after a passed security assessment; every bad field is reported.

    ``assessment`` holds ``report_number``, ``assessed_on`` (within the last 365 days),
    ``assessor``, ``passed`` (must be true) and an optional ``summary``; it is kept on the
    institution. Region codes are stored as prefixes (``regions.region_prefix``).
    """
    _require_government(actor, allow_system=True)
    try:
        taken = await _uscc_taken(session, parse_uscc(uscc, field="uscc").code)
    except DomainError:
        taken = False  # reported by the check below

    def check_uscc() -> str:
        code = parse_uscc(uscc, field="uscc").code
        if taken:
            raise DomainError(ErrorCode.CONFLICT, "该机构已接入平台", field="uscc")
        return code

    clean_name, code, clean_kind, prefixes, *report = check_each(
        lambda: checks.institution_name(name),
        check_uscc,
        lambda: checks.institution_kind(kind),
        lambda: checks.region_prefixes(region_codes),
        *checks.assessment_checks(assessment),
    )
    report_number, assessed_on, assessor, passed, summary = report
    institution = Institution(
        name=clean_name,
        uscc=code,
        kind=clean_kind.value,
        status=InstitutionStatus.ACTIVE.value,
        region_codes=prefixes,
        security_assessment={
            "report_number": report_number,
            "assessed_on": assessed_on.isoformat(),
            "assessor": assessor,
            "passed": passed,
            "summary": summary,
        },
        status_changed_at=utcnow(),
        onboarded_by_account_id=actor.account_id,
    )
    session.add(institution)
    try:
        await session.flush()
    except IntegrityError as exc:  # admitted by someone else a moment ago
        raise DomainError(ErrorCode.CONFLICT, "该机构已接入平台", field="uscc") from exc
    await audit.record(
        session,
        keyring=runtime.keyring,
        actor=actor,
        action="institution.onboard",
        subject_type="institution",
        subject_id=institution.id,
        institution_id=institution.id,
        details={
            "name": clean_name,
            "uscc": code,
            "kind": clean_kind.value,
            "region_codes": prefixes,
            "assessment_report_number": report_number,
            "assessed_on": assessed_on.isoformat(),
        },
    )
    return institution


async def set_institution_status(
    *,
    session: AsyncSession,
    runtime: Runtime,
    actor: Actor,
    institution_id: int,
    status: InstitutionStatus | str,
    reason: str | None,
) -> Institution:
    """Suspend, reactivate or revoke an institution (有进有出); REVOKED is final.

    Suspending or revoking ends every open session of the institution's staff at once; revoking
    also revokes all its API tokens. A suspended institution's tokens are left as they are:
    ``identity.authenticate`` refuses them while the institution is not ACTIVE, and they work
    again after reactivation (until they expire), so the bank's systems need no new tokens.
    Sessions ended by a suspension stay ended: staff sign in again.
    """
    _require_government(actor)
    target = checks.institution_status(status)
    needs_reason = target != InstitutionStatus.ACTIVE
    if needs_reason or (reason or "").strip():
        clean_reason: str | None = checks.status_reason(reason)
    else:
        clean_reason = None
    institution = await _institution(session, institution_id, for_update=True)
    current = InstitutionStatus(institution.status)
    if target not in TRANSITIONS[current]:
        message = (
            "该机构已退出平台，状态不能再变更"
            if current == InstitutionStatus.REVOKED
            else f"该机构当前已是“{STATUS_LABELS[current]}”状态"
        )
        raise DomainError(ErrorCode.CONFLICT, message, field="status")

    now = utcnow()
    sessions_revoked = tokens_revoked = 0
    if target != InstitutionStatus.ACTIVE:
        staff = select(Account.id).where(Account.institution_id == institution.id)
        ended = await session.execute(
            update(AuthSession)
            .where(
                AuthSession.account_id.in_(staff),
                AuthSession.revoked_at.is_(None),
                AuthSession.expires_at > now,
            )
            .values(revoked_at=now)
            .execution_options(synchronize_session=False)
        )
        sessions_revoked = ended.rowcount or 0
    if target == InstitutionStatus.REVOKED:
        revoked = await session.execute(
            update(ApiToken)
            .where(ApiToken.institution_id == institution.id, ApiToken.revoked_at.is_(None))
            .values(revoked_at=now)
            .execution_options(synchronize_session=False)
        )
        tokens_revoked = revoked.rowcount or 0

    institution.status = target.value
    institution.status_reason = clean_reason
    institution.status_changed_at = now
    await session.flush()
    await audit.record(
        session,
        keyring=runtime.keyring,
        actor=actor,
        action="institution.status",
        subject_type="institution",
        subject_id=institution.id,
        institution_id=institution.id,
        details={
            "from": current.value,
            "to": target.value,
            "reason": clean_reason,
            "sessions_revoked": sessions_revoked,
            "tokens_revoked": tokens_revoked,
        },
    )
    return institution


async def list_institutions_admin(
    *, session: AsyncSession, actor: Actor, status: InstitutionStatus | str | None = None
) -> list[Institution]:
    """Every institution with its status and assessment, for the government console."""
    _require_government(actor)
    query = select(Institution).order_by(Institution.id)
    if status is not None:
        query = query.where(Institution.status == checks.institution_status(status).value)
    return list((await session.execute(query)).scalars())


# --- API tokens ---------------------------------------------------------------------------


async def _staff_account(
    session: AsyncSession, institution_id: int, account_id: int
) -> Account | None:
    """The ACTIVE INSTITUTION account ``account_id`` of ``institution_id``, or None."""
    account = await session.get(Account, account_id)
    if (
        account is None
        or account.role != Role.INSTITUTION.value
        or account.institution_id != institution_id
        or account.status != AccountStatus.ACTIVE.value
    ):
        return None
    return account


async def create_api_token(
    *,
    session: AsyncSession,
    runtime: Runtime,
    actor: Actor,
    institution_id: int,
    account_id: int,
    name: str,
    scopes: list[ApiScope | str],
    valid_days: int,
) -> IssuedToken:
    """Issue an API token for an active institution, acting as one of its staff accounts.

    The token (``xra_…``) is returned this once; only its SHA-256 and the first 8 characters
    after the prefix (to tell tokens apart) are stored.
    """
    _require_government(actor)
    institution = await _institution(session, institution_id)
    if institution.status != InstitutionStatus.ACTIVE.value:
        raise DomainError(
            ErrorCode.CONFLICT, "该机构已被暂停或退出平台，不能签发令牌", field="institutionId"
        )
    account = await _staff_account(session, institution.id, account_id)

    def check_account() -> Account:
        if account is None:
            raise DomainError(ErrorCode.NOT_FOUND, "该机构没有这个工作人员账户", field="accountId")
        return account

    staff, clean_name, clean_scopes, days = check_each(
        check_account,
        lambda: checks.token_name(name),
        lambda: checks.api_scopes(scopes),
        lambda: checks.valid_days(valid_days),
    )
    token, token_hash = new_token(API_TOKEN_PREFIX)
    now = utcnow()
    api_token = ApiToken(
        institution_id=institution.id,
        account_id=staff.id,
        name=clean_name,
        scopes=clean_scopes,
        token_hash=token_hash,
        token_hint=token[len(API_TOKEN_PREFIX) :][:TOKEN_HINT_LENGTH],
        created_at=now,
        expires_at=now + timedelta(days=days),
        created_by_account_id=actor.account_id,
    )
    session.add(api_token)
    await session.flush()
    await audit.record(
        session,
        keyring=runtime.keyring,
        actor=actor,
        action="api_token.create",
        subject_type="api_token",
        subject_id=api_token.id,
        institution_id=institution.id,
        details={
            "name": clean_name,
            "account_id": staff.id,
            "scopes": clean_scopes,
            "valid_days": days,
            "token_hint": api_token.token_hint,
        },
    )
    return IssuedToken(api_token=api_token, token=token)


async def revoke_api_token(
    *, session: AsyncSession, runtime: Runtime, actor: Actor, token_id: int
) -> ApiToken:
    """Revoke a token at once: government staff any, institution staff their institution's.

    Anyone else gets NOT_FOUND, as for an unknown token, so token ids reveal nothing.
    """
    _require_session(actor)
    api_token = await session.get(ApiToken, token_id)
    allowed = api_token is not None and (
        actor.role == Role.GOVERNMENT.value
        or (
            actor.role == Role.INSTITUTION.value
            and actor.institution_id is not None
            and actor.institution_id == api_token.institution_id
        )
    )
    if api_token is None or not allowed:
        raise DomainError(ErrorCode.NOT_FOUND, "找不到该 API 令牌", field="id")
    if api_token.revoked_at is not None:
        raise DomainError(ErrorCode.CONFLICT, "该 API 令牌已被吊销", field="id")
    api_token.revoked_at = utcnow()
    await session.flush()
    await audit.record(
        session,
        keyring=runtime.keyring,
        actor=actor,
        action="api_token.revoke",
        subject_type="api_token",
        subject_id=api_token.id,
        institution_id=api_token.institution_id,
        details={"name": api_token.name, "token_hint": api_token.token_hint},
    )
    return api_token


async def list_api_tokens(
    *, session: AsyncSession, actor: Actor, institution_id: int
) -> list[ApiToken]:
    """An institution's tokens, newest first: for government staff, or that institution's staff."""
    _require_session(actor)
    if actor.role == Role.INSTITUTION.value:
        if actor.institution_id != institution_id:
            raise DomainError(ErrorCode.FORBIDDEN, "只能查看本机构的 API 令牌")
    elif actor.role != Role.GOVERNMENT.value:
        raise DomainError(ErrorCode.FORBIDDEN, "当前账户无权查看 API 令牌")
    await _institution(session, institution_id)
    rows = await session.execute(
        select(ApiToken)
        .where(ApiToken.institution_id == institution_id)
        .order_by(ApiToken.created_at.desc(), ApiToken.id.desc())
    )
    return list(rows.scalars())
