"""Granting, revoking and listing authorisations; finding the live ones behind an access.

Rules (DESIGN.md, "Authorisation gate"): only a verified enterprise grants, to an active
institution, for one purpose, for 1 to 365 days, over non-public categories and, separately, the
legal representative's ID number. A grant is live until it expires or the enterprise revokes it;
revocation takes effect on the very next read.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import ColumnElement, and_, select
from sqlalchemy.ext.asyncio import AsyncSession

from backend.audit import service as audit
from backend.consent.models import AccessPurpose, Authorization
from backend.consent.scopes import IDENTITY_SCOPE, clean_scopes
from backend.consent.text import ConsentText, load_consent_template, render_consent
from backend.db.base import utcnow
from backend.enterprises.models import Enterprise
from backend.errors import DomainError, ErrorCode, check_each
from backend.identity.models import Role
from backend.institutions.models import Institution, InstitutionStatus
from backend.pagination import check_page_size
from backend.reports.access import parse_purpose
from backend.runtime import Runtime
from backend.security.actor import Actor
from backend.security.lifecycle import lifecycle_state
from backend.security.staff import own_enterprise_id

MAX_VALID_DAYS = 365


class AuthorizationStatus(StrEnum):
    """Whether a grant can still be used."""

    ACTIVE = "ACTIVE"
    EXPIRED = "EXPIRED"
    REVOKED = "REVOKED"


def status_of(grant: Authorization, now: datetime | None = None) -> AuthorizationStatus:
    """ACTIVE, EXPIRED or REVOKED at ``now``."""
    return AuthorizationStatus(lifecycle_state(grant.revoked_at, grant.valid_until, now))


@dataclass(frozen=True)
class GrantView:
    """A grant with the names an enterprise or institution wants to see next to it."""

    grant: Authorization
    institution_name: str
    enterprise_uscc: str
    enterprise_name: str

    @property
    def status(self) -> AuthorizationStatus:
        """The grant's status now."""
        return status_of(self.grant)


def _valid_days(value: int) -> int:
    if not 1 <= value <= MAX_VALID_DAYS:
        raise DomainError(
            ErrorCode.VALIDATION_ERROR, f"授权期限须为 1 到 {MAX_VALID_DAYS} 天", "validDays"
        )
    return value


async def _active_institution(session: AsyncSession, institution_id: int) -> Institution:
    institution = await session.get(Institution, institution_id)
    if institution is None or institution.status != InstitutionStatus.ACTIVE.value:
        raise DomainError(ErrorCode.NOT_FOUND, "找不到该金融机构", field="institutionId")
    return institution


@dataclass(frozen=True)
class _Request:
    enterprise: Enterprise
    institution: Institution
    scopes: list[str]
    purpose: AccessPurpose
    valid_days: int
    consent: ConsentText
    valid_until: datetime


async def _prepare(
    session: AsyncSession,
    actor: Actor,
    *,
    institution_id: int,
    scopes: list[str],
    purpose: str,
    valid_days: int,
    now: datetime,
) -> _Request:
    enterprise_id = own_enterprise_id(actor, "管理授权")
    cleaned, chosen, days = check_each(
        lambda: clean_scopes(scopes),
        lambda: parse_purpose(purpose),
        lambda: _valid_days(valid_days),
    )
    institution = await _active_institution(session, institution_id)
    enterprise = await session.get(Enterprise, enterprise_id)
    if enterprise is None:
        raise DomainError(ErrorCode.NOT_FOUND, "企业不存在")
    valid_until = now + timedelta(days=days)
    consent = render_consent(
        enterprise_name=enterprise.name,
        enterprise_uscc=enterprise.uscc,
        institution_name=institution.name,
        scopes=cleaned,
        purpose=chosen,
        valid_days=days,
        valid_until=valid_until,
    )
    return _Request(enterprise, institution, cleaned, chosen, days, consent, valid_until)


async def preview_consent(
    *,
    session: AsyncSession,
    actor: Actor,
    institution_id: int,
    scopes: list[str],
    purpose: str,
    valid_days: int,
) -> ConsentText:
    """The exact consent text the enterprise would agree to (nothing is stored)."""
    request = await _prepare(
        session,
        actor,
        institution_id=institution_id,
        scopes=scopes,
        purpose=purpose,
        valid_days=valid_days,
        now=utcnow(),
    )
    return request.consent


async def grant_authorization(
    *,
    session: AsyncSession,
    runtime: Runtime,
    actor: Actor,
    institution_id: int,
    scopes: list[str],
    purpose: str,
    valid_days: int,
    consent_version: str | None = None,
    source: str = "DIRECT",
) -> GrantView:
    """Record the enterprise's authorisation with the consent text it was shown (audited).

    ``consent_version``, when given, must be the current template's: a client that showed an
    older text gets CONFLICT and must show the new one.
    """
    if consent_version is not None and consent_version != load_consent_template().version:
        raise DomainError(
            ErrorCode.CONFLICT, "授权书文本已更新，请重新阅读后确认", field="consentVersion"
        )
    now = utcnow()
    request = await _prepare(
        session,
        actor,
        institution_id=institution_id,
        scopes=scopes,
        purpose=purpose,
        valid_days=valid_days,
        now=now,
    )
    assert actor.account_id is not None  # an enterprise actor is always signed in
    grant = Authorization(
        enterprise_id=request.enterprise.id,
        institution_id=request.institution.id,
        scopes=request.scopes,
        purpose=request.purpose.value,
        granted_at=now,
        valid_until=request.valid_until,
        granted_by_account_id=actor.account_id,
        consent_version=request.consent.version,
        consent_text=request.consent.text,
        source=source,
    )
    session.add(grant)
    await session.flush()
    await audit.record(
        session,
        keyring=runtime.keyring,
        actor=actor,
        action="authorization.grant",
        subject_type="authorization",
        subject_id=grant.id,
        enterprise_id=request.enterprise.id,
        institution_id=request.institution.id,
        details={
            "scopes": request.scopes,
            "purpose": request.purpose.value,
            "valid_until": request.valid_until.isoformat(),
            "consent_version": request.consent.version,
            "source": source,
        },
    )
    return GrantView(
        grant, request.institution.name, request.enterprise.uscc, request.enterprise.name
    )


async def revoke_authorization(
    *, session: AsyncSession, runtime: Runtime, actor: Actor, authorization_id: int
) -> GrantView:
    """Withdraw a grant at once; only the enterprise that gave it may (others: NOT_FOUND)."""
    enterprise_id = own_enterprise_id(actor, "管理授权")
    grant = await session.get(Authorization, authorization_id, with_for_update=True)
    if grant is None or grant.enterprise_id != enterprise_id:
        raise DomainError(ErrorCode.NOT_FOUND, "找不到该授权", field="id")
    status = status_of(grant)
    if status is not AuthorizationStatus.ACTIVE:
        word = "已撤销" if status is AuthorizationStatus.REVOKED else "已过期"
        raise DomainError(ErrorCode.CONFLICT, f"该授权{word}，无需撤销", field="id")
    grant.revoked_at = utcnow()
    await audit.record(
        session,
        keyring=runtime.keyring,
        actor=actor,
        action="authorization.revoke",
        subject_type="authorization",
        subject_id=grant.id,
        enterprise_id=grant.enterprise_id,
        institution_id=grant.institution_id,
        details={"scopes": grant.scopes, "purpose": grant.purpose},
    )
    await session.flush()
    return (await _views(session, [grant.id]))[0]


async def _views(session: AsyncSession, ids: list[int]) -> list[GrantView]:
    rows = await session.execute(
        select(Authorization, Institution.name, Enterprise.uscc, Enterprise.name)
        .join(Institution, Institution.id == Authorization.institution_id)
        .join(Enterprise, Enterprise.id == Authorization.enterprise_id)
        .where(Authorization.id.in_(ids))
        .order_by(Authorization.id.desc())
    )
    return [GrantView(*row) for row in rows]


def _status_condition(
    status: AuthorizationStatus | None, now: datetime
) -> ColumnElement[bool] | None:
    if status is AuthorizationStatus.ACTIVE:
        return and_(Authorization.revoked_at.is_(None), Authorization.valid_until > now)
    if status is AuthorizationStatus.REVOKED:
        return Authorization.revoked_at.is_not(None)
    if status is AuthorizationStatus.EXPIRED:
        return and_(Authorization.revoked_at.is_(None), Authorization.valid_until <= now)
    return None


async def _list(
    session: AsyncSession,
    *,
    condition: ColumnElement[bool],
    status: AuthorizationStatus | None,
    first: int,
    after: int | None,
) -> list[GrantView]:
    check_page_size(first)
    conditions = [condition]
    by_status = _status_condition(status, utcnow())
    if by_status is not None:
        conditions.append(by_status)
    if after is not None:
        conditions.append(Authorization.id < after)
    rows = await session.execute(
        select(Authorization, Institution.name, Enterprise.uscc, Enterprise.name)
        .join(Institution, Institution.id == Authorization.institution_id)
        .join(Enterprise, Enterprise.id == Authorization.enterprise_id)
        .where(*conditions)
        .order_by(Authorization.id.desc())
        .limit(first)
    )
    return [GrantView(*row) for row in rows]


async def my_authorizations(
    *,
    session: AsyncSession,
    actor: Actor,
    status: AuthorizationStatus | None = None,
    first: int = 50,
    after: int | None = None,
) -> list[GrantView]:
    """The enterprise's own grants, newest first (all statuses unless one is asked for)."""
    enterprise_id = own_enterprise_id(actor, "管理授权")
    return await _list(
        session,
        condition=Authorization.enterprise_id == enterprise_id,
        status=status,
        first=first,
        after=after,
    )


async def received_authorizations(
    *,
    session: AsyncSession,
    actor: Actor,
    status: AuthorizationStatus | None = None,
    first: int = 50,
    after: int | None = None,
) -> list[GrantView]:
    """Grants made to the actor's institution, newest first: which firms it may look at."""
    if actor.role != Role.INSTITUTION.value or actor.institution_id is None:
        raise DomainError(ErrorCode.FORBIDDEN, "只有金融机构可以查看收到的授权")
    return await _list(
        session,
        condition=Authorization.institution_id == actor.institution_id,
        status=status,
        first=first,
        after=after,
    )


async def live_grants(
    session: AsyncSession,
    *,
    enterprise_id: int,
    institution_id: int,
    purpose: AccessPurpose | None = None,
    now: datetime | None = None,
) -> list[Authorization]:
    """The grants from an enterprise to an institution usable now (for ``purpose``, if given)."""
    conditions = [
        Authorization.enterprise_id == enterprise_id,
        Authorization.institution_id == institution_id,
        Authorization.revoked_at.is_(None),
        Authorization.valid_until > (now or utcnow()),
    ]
    if purpose is not None:
        conditions.append(Authorization.purpose == purpose.value)
    rows = await session.execute(
        select(Authorization).where(*conditions).order_by(Authorization.id)
    )
    return list(rows.scalars())


def covered_scopes(grants: list[Authorization]) -> frozenset[str]:
    """Every scope the grants cover together."""
    return frozenset(scope for grant in grants for scope in grant.scopes or ())


def identity_grants(grants: list[Authorization]) -> list[Authorization]:
    """The grants that include the legal representative's ID number."""
    return [g for g in grants if IDENTITY_SCOPE in (g.scopes or ())]
