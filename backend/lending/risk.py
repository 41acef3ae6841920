"""Post-loan risk alerts (贷后预警): a lender learns, in the transaction that brought it, that a
borrower with a live loan has new negative information; its staff list and acknowledge alerts.

Every change of an enterprise's data ends in ``backend.enterprises.features.refresh_features``.
For the enterprises of a chunk that have a live loan it reads the stored features first
(:func:`borrower_features`, one query per chunk whether or not anyone has a loan), then hands
the (before, after) pairs to :func:`raise_alerts`. An enterprise without a stored row (first
load) raises nothing: there is no "before" to call the news new.

What counts as new negative information, and its severity:

=====================  ==============================================================  ========
kind                   when (before → after)                                           severity
=====================  ==============================================================  ========
SERIOUS_PENALTY        ``serious_penalties_3y`` rose                                   HIGH
ADMIN_PENALTY          ``admin_penalties_3y`` rose by more than the serious ones did   MEDIUM
ENFORCEMENT            ``has_enforcement`` not True → True (被执行人, 行政强制)           HIGH
DISHONEST_LIST         ``on_dishonest_list`` not True → True (失信)                     HIGH
ABNORMAL_OPERATION     ``on_abnormal_list`` not True → True (经营异常名录)               MEDIUM
UTILITY_ARREARS        ``has_utility_arrears`` not True → True (water, gas, power)     LOW
TAX_ARREARS            a tax year, or a social-insurance month, newly in arrears       MEDIUM
GRADE_DROP             ``credit_grade`` lower under the same scorecard version:        MEDIUM
                       one band; two or more bands, or down to C or D                  HIGH
=====================  ==============================================================  ========

Tax and social-insurance arrears are no rule facts, so :func:`arrears_markers` derives them from
the visible tax and social-insurance records and ``refresh_features`` keeps them in the stored
``evaluation`` JSON (key ``arrears``); a row stored before that key existed says nothing about
arrears, so its first refresh raises no arrears alert. Social-insurance premiums are collected by
the tax authorities (since 2019), hence one kind 欠缴税费 for both; ``details.fact`` tells them
apart. A grade is not compared across scorecard versions: a new card is no news about a firm.

One alert per (loan, event): ``dedupe_key`` names the loan, the kind, the new value and the day,
and rows go in with ``INSERT … ON CONFLICT DO NOTHING``, so a replayed ingestion or a second
refresh (which change nothing) and racing transactions leave one alert. Each lender also gets one
institution inbox message (kind RISK_ALERT) per event and borrower, however many loans it holds.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, cast

from sqlalchemy import Select, Table, exists, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from backend.audit import service as audit
from backend.db.base import utcnow
from backend.enterprises.models import Enterprise, EnterpriseFeatures
from backend.errors import DomainError, ErrorCode
from backend.inbox import service as inbox
from backend.inbox.models import MessageKind
from backend.institutions.access import acting_institution
from backend.institutions.models import ApiScope
from backend.lending.models import LIVE_LOAN_STATUSES, Loan, RiskAlert, RiskAlertKind, RiskSeverity
from backend.pagination import check_page_size
from backend.runtime import Runtime
from backend.security.actor import Actor
from matching.facts import CATALOG
from matching.values import as_bool, as_count, as_month, months_before

KIND_LABELS = {
    RiskAlertKind.ADMIN_PENALTY: "新增行政处罚",
    RiskAlertKind.SERIOUS_PENALTY: "新增严重失信行政处罚",
    RiskAlertKind.ENFORCEMENT: "被强制执行",
    RiskAlertKind.DISHONEST_LIST: "列入失信名单",
    RiskAlertKind.ABNORMAL_OPERATION: "列入经营异常名录",
    RiskAlertKind.UTILITY_ARREARS: "水电气欠费",
    RiskAlertKind.TAX_ARREARS: "欠缴税费",
    RiskAlertKind.GRADE_DROP: "信用等级下降",
}
# Lowest first, as the facts catalog orders grades.
GRADE_STEPS = {grade: step for step, grade in enumerate(CATALOG["credit_grade"].values)}
LOW_GRADES = frozenset({"C", "D"})
ARREARS_KEY = "arrears"
SOCIAL_INSURANCE_MONTHS = 12  # older unpaid months are history, not post-loan news
_FLAGS = (
    ("has_enforcement", RiskAlertKind.ENFORCEMENT, RiskSeverity.HIGH, "新增强制执行记录"),
    ("on_dishonest_list", RiskAlertKind.DISHONEST_LIST, RiskSeverity.HIGH, "被列入失信名单"),
    (
        "on_abnormal_list",
        RiskAlertKind.ABNORMAL_OPERATION,
        RiskSeverity.MEDIUM,
        "被列入经营异常名录",
    ),
    (
        "has_utility_arrears",
        RiskAlertKind.UTILITY_ARREARS,
        RiskSeverity.LOW,
        "近六个月出现水、电、燃气欠费",
    ),
)


@dataclass(frozen=True)
class FeatureChange:
    """One borrower's stored features before a refresh and the ones just computed.

    Both map fact column names (and ``evaluation``, ``scorecard_version``) to values.
    """

    enterprise_id: int
    enterprise_name: str
    before: Mapping[str, Any]
    after: Mapping[str, Any]


@dataclass(frozen=True)
class RiskEvent:
    """One piece of new negative information: what, how bad, and the words for the lender."""

    kind: RiskAlertKind
    severity: RiskSeverity
    fact: str
    before: Any
    after: Any
    text: str  # completes "<firm name>…，请关注贷后风险"

    @property
    def key(self) -> str:
        """Names the event (kind, fact and new value) inside the dedupe keys."""
        value = self.after
        if isinstance(value, list):
            value = f"{value[0]}..{value[-1]}#{len(value)}" if value else ""
        return f"{self.kind.value}:{self.fact}={value}"


@dataclass(frozen=True)
class AlertView:
    """An alert with the only borrower data a lender sees with it: USCC and name."""

    alert: RiskAlert
    enterprise_uscc: str
    enterprise_name: str


def arrears_markers(records: Mapping[str, Sequence[Mapping[str, Any]]], today: date) -> dict:
    """The tax years and recent social-insurance months in arrears among visible records."""
    start, now = months_before(today, SOCIAL_INSURANCE_MONTHS), (today.year, today.month)
    tax = {
        year
        for row in records.get("tax", ())
        if as_bool(row.get("in_arrears")) and (year := as_count(row.get("year"))) is not None
    }
    months = {
        month
        for row in records.get("social_insurance", ())
        if as_bool(row.get("in_arrears"))
        and (month := as_month(row.get("month"))) is not None
        and start <= month <= now
    }
    return {
        ARREARS_KEY: {
            "tax_years": sorted(tax),
            "social_insurance_months": [f"{y:04d}-{m:02d}" for y, m in sorted(months)],
        }
    }


def _count_rise(before: Mapping[str, Any], after: Mapping[str, Any], fact: str) -> int:
    old, new = before.get(fact), after.get(fact)
    return new - old if isinstance(old, int) and isinstance(new, int) and new > old else 0


def _penalty_events(before: Mapping[str, Any], after: Mapping[str, Any]) -> list[RiskEvent]:
    serious = _count_rise(before, after, "serious_penalties_3y")
    # A serious penalty raises both counts; it is told once, as the serious one.
    other = _count_rise(before, after, "admin_penalties_3y") - serious
    events = []
    if serious > 0:
        total = after["serious_penalties_3y"]
        events.append(
            RiskEvent(
                RiskAlertKind.SERIOUS_PENALTY,
                RiskSeverity.HIGH,
                "serious_penalties_3y",
                before["serious_penalties_3y"],
                total,
                f"新增严重失信行政处罚 {serious} 条（近三年共 {total} 条）",
            )
        )
    if other > 0:
        total = after["admin_penalties_3y"]
        events.append(
            RiskEvent(
                RiskAlertKind.ADMIN_PENALTY,
                RiskSeverity.MEDIUM,
                "admin_penalties_3y",
                before["admin_penalties_3y"],
                total,
                f"新增行政处罚 {other} 条（近三年共 {total} 条）",
            )
        )
    return events


def _grade_event(before: Mapping[str, Any], after: Mapping[str, Any]) -> RiskEvent | None:
    old, new = before.get("credit_grade"), after.get("credit_grade")
    if old not in GRADE_STEPS or new not in GRADE_STEPS:
        return None
    if before.get("scorecard_version") != after.get("scorecard_version"):
        return None
    drop = GRADE_STEPS[old] - GRADE_STEPS[new]
    if drop <= 0:
        return None
    severe = drop >= 2 or new in LOW_GRADES
    scores = f"（信用评分 {before.get('credit_score')} → {after.get('credit_score')}）"
    return RiskEvent(
        RiskAlertKind.GRADE_DROP,
        RiskSeverity.HIGH if severe else RiskSeverity.MEDIUM,
        "credit_grade",
        old,
        new,
        f"信用等级由 {old} 级降至 {new} 级{scores}",
    )


def _arrears_events(before: Mapping[str, Any], after: Mapping[str, Any]) -> list[RiskEvent]:
    old = (before.get("evaluation") or {}).get(ARREARS_KEY)
    new = (after.get("evaluation") or {}).get(ARREARS_KEY)
    if not isinstance(old, dict) or not isinstance(new, dict):
        return []  # stored before arrears were kept: nothing to compare with
    events = []
    for field, fact, words in (
        ("tax_years", "tax_arrears", "新增欠税记录（{} 年度）"),
        ("social_insurance_months", "social_insurance_arrears", "新增社会保险费欠缴记录（{}）"),
    ):
        added = sorted(set(new.get(field) or ()) - set(old.get(field) or ()))
        if added:
            events.append(
                RiskEvent(
                    RiskAlertKind.TAX_ARREARS,
                    RiskSeverity.MEDIUM,
                    fact,
                    list(old.get(field) or ()),
                    added,
                    words.format("、".join(str(value) for value in added)),
                )
            )
    return events


def detect_events(before: Mapping[str, Any], after: Mapping[str, Any]) -> list[RiskEvent]:
    """The new negative information between two feature rows of one enterprise (pure)."""
    events = _penalty_events(before, after)
    for fact, kind, severity, text in _FLAGS:
        if before.get(fact) is not True and after.get(fact) is True:
            events.append(RiskEvent(kind, severity, fact, before.get(fact), True, text))
    events.extend(_arrears_events(before, after))
    grade = _grade_event(before, after)
    return [*events, grade] if grade else events


async def borrower_features(
    session: AsyncSession, enterprise_ids: Sequence[int]
) -> dict[int, dict[str, Any]]:
    """Stored features of those of ``enterprise_ids`` that have a live loan, by enterprise id.

    One query, whoever has a loan: most enterprises have none, and then this is all it costs.
    """
    live_loan = exists().where(
        Loan.enterprise_id == EnterpriseFeatures.enterprise_id,
        Loan.status.in_(LIVE_LOAN_STATUSES),
    )
    rows = await session.execute(
        select(*EnterpriseFeatures.__table__.columns).where(
            EnterpriseFeatures.enterprise_id.in_(enterprise_ids), live_loan
        )
    )
    return {row.enterprise_id: dict(row._mapping) for row in rows}


async def raise_alerts(
    session: AsyncSession, changes: Iterable[FeatureChange], today: date
) -> None:
    """Alert every lender with a live loan to a changed borrower that has new negative
    information, and put one message per event in its inbox (idempotent; caller commits)."""
    found = {
        c.enterprise_id: (c, events)
        for c in changes
        if (events := detect_events(c.before, c.after))
    }
    if not found:
        return
    loans = await session.execute(
        select(Loan.id, Loan.institution_id, Loan.enterprise_id)
        .where(Loan.enterprise_id.in_(list(found)), Loan.status.in_(LIVE_LOAN_STATUSES))
        .order_by(Loan.id)
    )
    now, day = utcnow(), today.isoformat()
    alerts: list[dict[str, Any]] = []
    messages: dict[str, inbox.Delivery] = {}
    for loan_id, institution_id, enterprise_id in loans:
        change, events = found[enterprise_id]
        for event in events:
            message = f"{change.enterprise_name}{event.text}，请关注贷后风险"
            alerts.append(
                {
                    "institution_id": institution_id,
                    "enterprise_id": enterprise_id,
                    "loan_id": loan_id,
                    "kind": event.kind.value,
                    "severity": event.severity.value,
                    "message": message[:500],
                    "details": {"fact": event.fact, "before": event.before, "after": event.after},
                    "dedupe_key": f"risk:{loan_id}:{event.key}:{day}",
                    "created_at": now,
                }
            )
            key = f"risk:i{institution_id}:e{enterprise_id}:{event.key}:{day}"
            messages[key] = inbox.Delivery(
                institution_id=institution_id,
                kind=MessageKind.RISK_ALERT,
                title=f"贷后风险提示：{change.enterprise_name}",
                body=f"{message}。请在贷后预警列表中查看并确认。",
                dedupe_key=key,
            )
    if alerts:
        insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
        statement = insert(cast(Table, RiskAlert.__table__))
        await session.execute(
            statement.on_conflict_do_nothing(index_elements=["dedupe_key"]), alerts
        )
        await inbox.deliver_many(session, list(messages.values()))


def _own_institution_id(actor: Actor) -> int:
    return acting_institution(actor, ApiScope.ALERTS, "查看贷后预警")


def _view_query(institution_id: int) -> Select[RiskAlert, str, str]:
    return (
        select(RiskAlert, Enterprise.uscc, Enterprise.name)
        .join(Enterprise, Enterprise.id == RiskAlert.enterprise_id)
        .where(RiskAlert.institution_id == institution_id)
    )


async def list_alerts(
    *,
    session: AsyncSession,
    actor: Actor,
    first: int = 20,
    after: int | None = None,
    unacknowledged_only: bool = False,
) -> list[AlertView]:
    """The actor's institution's alerts, newest first; ``after`` is the last id already seen."""
    institution_id = _own_institution_id(actor)
    check_page_size(first)
    query = _view_query(institution_id)
    if after is not None:
        query = query.where(RiskAlert.id < after)
    if unacknowledged_only:
        query = query.where(RiskAlert.acknowledged_at.is_(None))
    rows = await session.execute(query.order_by(RiskAlert.id.desc()).limit(first))
    return [AlertView(*row) for row in rows]


async def acknowledge_alert(
    *, session: AsyncSession, runtime: Runtime, actor: Actor, alert_id: int
) -> AlertView:
    """Mark one of the institution's alerts as seen and handled (the first time counts).

    Another institution's alert is NOT_FOUND, exactly like one that does not exist.
    """
    institution_id = _own_institution_id(actor)
    row = (
        await session.execute(
            _view_query(institution_id)
            .where(RiskAlert.id == alert_id)
            .with_for_update(of=RiskAlert)
        )
    ).one_or_none()
    if row is None:
        raise DomainError(ErrorCode.NOT_FOUND, "找不到该贷后预警", field="id")
    view = AlertView(*row)
    if view.alert.acknowledged_at is None:
        view.alert.acknowledged_at = utcnow()
        await session.flush()
        await audit.record(
            session,
            keyring=runtime.keyring,
            actor=actor,
            action="risk_alert.acknowledge",
            subject_type="risk_alert",
            subject_id=view.alert.id,
            enterprise_id=view.alert.enterprise_id,
            institution_id=institution_id,
            details={"kind": view.alert.kind, "loan_id": view.alert.loan_id},
        )
    return view
