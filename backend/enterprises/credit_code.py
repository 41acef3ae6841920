"""The credit code (信用码): a public page, opened by a QR code, showing one firm's name and grade.

Nothing is public unless the firm turns its code on. While on, the code has a random slug
(``secrets.token_urlsafe``: 128 bits, not guessable) and ``/c/<slug>`` shows the firm's name, its
current grade and the date it was evaluated — no USCC, no score or factors, no personal data.
Turning it off forgets the slug, so the link and every printed QR code stop at once; turning it
on again draws a new slug, and old codes stay dead. Both changes are audited; repeating the
current state changes nothing (same slug, no audit row).

Public reads are not audited: they carry no account, and an audit row per page view would let
anyone with a link grow the log (and queue on its chain head) at will.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import date, datetime
from typing import cast

import segno
from sqlalchemy import Table, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from backend.audit import service as audit
from backend.clock import china_today
from backend.credit.evaluation import evaluate_enterprise
from backend.db.base import utcnow
from backend.enterprises.models import CreditCode, Enterprise
from backend.errors import DomainError, ErrorCode
from backend.runtime import Runtime
from backend.security.actor import Actor
from backend.security.staff import own_enterprise_id
from matching.scorecard import load_scorecard

SLUG_BYTES = 16
# token_urlsafe(16): 22 characters of the URL-safe base64 alphabet. Anything else is not a slug
# and is answered "not found" without touching the database.
SLUG_PATTERN = re.compile(r"[A-Za-z0-9_-]{22}")
PUBLIC_PATH = "/c/"
QR_SVG_OPTIONS = {
    "scale": 8,
    "border": 4,
    "dark": "#000",
    "light": "#fff",
    "title": "信用码",
    "omitsize": True,
}


@dataclass(frozen=True)
class CreditCodeState:
    """The firm's credit code as its own account sees it."""

    enabled: bool
    slug: str | None
    enabled_at: datetime | None


@dataclass(frozen=True)
class PublicCard:
    """Everything the public page shows: the firm's name and grade, and when it was evaluated."""

    name: str
    grade: str
    grade_label: str
    evaluated_on: date
    scorecard_name: str
    grade_scale: tuple[tuple[str, str], ...]  # (grade, label), best first


def _state(code: CreditCode | None) -> CreditCodeState:
    if code is None or code.slug is None:
        return CreditCodeState(enabled=False, slug=None, enabled_at=None)
    return CreditCodeState(enabled=True, slug=code.slug, enabled_at=code.enabled_at)


async def my_credit_code(*, session: AsyncSession, actor: Actor) -> CreditCodeState:
    """The credit code of the actor's own (verified) enterprise."""
    enterprise_id = own_enterprise_id(actor, "使用信用码", "请先完成企业实名认证，再开启信用码")
    return _state(await session.get(CreditCode, enterprise_id))


async def _locked_row(session: AsyncSession, enterprise_id: int) -> CreditCode:
    """The enterprise's credit-code row, created if missing, locked until commit (PostgreSQL)
    so that two switches at once run one after the other."""
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    await session.execute(
        insert(cast(Table, CreditCode.__table__))
        .values(enterprise_id=enterprise_id, slug=None, enabled_at=None, updated_at=utcnow())
        .on_conflict_do_nothing(index_elements=["enterprise_id"])
    )
    return (
        await session.execute(
            select(CreditCode)
            .where(CreditCode.enterprise_id == enterprise_id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
    ).scalar_one()


async def set_credit_code(
    *, session: AsyncSession, runtime: Runtime, actor: Actor, enabled: bool
) -> CreditCodeState:
    """Turn the actor's credit code on (a new slug, unless it is on already) or off (the slug is
    forgotten, so the old link answers 404 from now on); a change is audited."""
    enterprise_id = own_enterprise_id(actor, "使用信用码", "请先完成企业实名认证，再开启信用码")
    enterprise = await session.get(Enterprise, enterprise_id)
    if enterprise is None:
        raise DomainError(ErrorCode.NOT_FOUND, "企业不存在")
    code = await _locked_row(session, enterprise_id)
    if enabled == (code.slug is not None):
        return _state(code)
    if enabled:
        code.slug = secrets.token_urlsafe(SLUG_BYTES)
        code.enabled_at = utcnow()
    else:
        code.slug = None
        code.enabled_at = None
    code.updated_at = utcnow()
    await session.flush()
    await audit.record(
        session,
        keyring=runtime.keyring,
        actor=actor,
        action="credit_code.enable" if enabled else "credit_code.disable",
        subject_type="enterprise",
        subject_id=enterprise.uscc,
        enterprise_id=enterprise.id,
    )
    return _state(code)


def is_slug(text: str) -> bool:
    """Whether ``text`` could be a slug at all (cheap; no database)."""
    return SLUG_PATTERN.fullmatch(text) is not None


async def public_card(
    *, session: AsyncSession, slug: str, today: date | None = None
) -> PublicCard | None:
    """What ``/c/<slug>`` shows, or None when no enabled credit code has that slug."""
    if not is_slug(slug):
        return None
    enterprise = (
        await session.execute(
            select(Enterprise)
            .join(CreditCode, CreditCode.enterprise_id == Enterprise.id)
            .where(CreditCode.slug == slug)
        )
    ).scalar_one_or_none()
    if enterprise is None:
        return None
    today = today or china_today()
    # The same evaluation the firm sees in its own credit profile, from today's data.
    evaluation = await evaluate_enterprise(session, enterprise, today)
    card = load_scorecard()
    label = next((g.label for g in card.grades if g.grade == evaluation.grade), "")
    return PublicCard(
        name=enterprise.name,
        grade=evaluation.grade,
        grade_label=label,
        evaluated_on=today,
        scorecard_name=card.name,
        grade_scale=tuple((g.grade, g.label) for g in card.grades),
    )


def public_url(base_url: str, slug: str) -> str:
    """The absolute address of the public page of ``slug`` under ``base_url``."""
    return f"{base_url.rstrip('/')}{PUBLIC_PATH}{slug}"


def qr_svg_data_uri(url: str) -> str:
    """A ``data:image/svg+xml`` URI of the QR code of ``url`` (segno; error correction M or
    better, dark modules on white, a quiet zone of 4 modules as the standard asks; a viewBox and
    no fixed size, so it scales to whatever box shows it)."""
    qr = segno.make(url, error="m", micro=False)
    return qr.svg_data_uri(**QR_SVG_OPTIONS)
