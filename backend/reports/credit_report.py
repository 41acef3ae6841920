"""``enterpriseCreditReport``: what an institution may see of one enterprise, for one purpose.

Public information always; authorised-only categories (and authorised fields of public ones) only
when a live grant from the enterprise for that purpose covers them; nothing more. The evaluation
is computed from exactly what the report shows, so a score never hints at hidden records.
Without a live grant for the purpose the answer is NOT_AUTHORIZED, and the refused attempt is
audited too. Every report is audited and added to the enterprise's trail.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from backend.clock import china_today
from backend.consent import service as consent
from backend.consent import trail
from backend.consent.models import AccessKind, AccessPurpose, Authorization
from backend.consent.scopes import IDENTITY_SCOPE, readable_categories, shown_fields
from backend.credit.models import CreditRecord, DataProvider
from backend.credit.profile import visible_on
from backend.credit.sharing_list import load_sharing_list
from backend.db.base import utcnow
from backend.enterprises.features import declared_figures, facts_and_evaluation
from backend.enterprises.models import Enterprise
from backend.errors import DomainError, ErrorCode
from backend.reports.access import enterprise_by_uscc, parse_purpose, require_institution_reader
from backend.runtime import Runtime
from backend.security.actor import Actor
from matching.scorecard import Evaluation

MAX_RECORDS = 1000


@dataclass(frozen=True)
class ReportRecord:
    """One record as the institution sees it (authorised fields dropped when not covered)."""

    id: int
    category: str
    fields: dict[str, Any]
    source: str
    occurred_on: Any
    version: int


@dataclass(frozen=True)
class CreditReport:
    """The report: enterprise, evaluation on the shown data, shown records and the grants used."""

    enterprise: Enterprise
    evaluation: Evaluation
    records: list[ReportRecord]
    truncated: bool
    purpose: AccessPurpose
    covered_scopes: list[str]
    authorizations: list[Authorization]
    generated_at: datetime


async def enterprise_credit_report(
    *, session: AsyncSession, runtime: Runtime, actor: Actor, uscc: str, purpose: str
) -> CreditReport:
    """The credit report of the enterprise ``uscc`` for ``purpose`` (audited, in its trail)."""
    institution_id = require_institution_reader(actor)
    chosen = parse_purpose(purpose)
    enterprise = await enterprise_by_uscc(session, uscc)
    grants = await consent.live_grants(
        session, enterprise_id=enterprise.id, institution_id=institution_id, purpose=chosen
    )
    if not grants:
        await trail.record_refusal(
            session,
            runtime=runtime,
            actor=actor,
            kind=AccessKind.REPORT,
            enterprise_id=enterprise.id,
            enterprise_uscc=enterprise.uscc,
            details={"purpose": chosen.value, "reason": "no live authorisation for the purpose"},
        )
        raise DomainError(
            ErrorCode.NOT_AUTHORIZED,
            "该企业未就此用途向本机构授权，或授权已撤销、已过期",
            field="uscc",
        )
    covered = consent.covered_scopes(grants)
    today = china_today()
    sharing = load_sharing_list()
    rows = await session.execute(
        select(CreditRecord, DataProvider.name)
        .join(DataProvider, DataProvider.id == CreditRecord.data_provider_id)
        .where(
            CreditRecord.enterprise_id == enterprise.id,
            CreditRecord.category.in_(readable_categories(covered)),
            visible_on(today),
        )
        .order_by(func.coalesce(CreditRecord.occurred_on, today).desc(), CreditRecord.id.desc())
    )
    shown: list[ReportRecord] = []
    by_category: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for record, source in rows:
        spec = sharing.get(record.category)
        fields = shown_fields(spec, record.fields, covered) if spec else None
        if fields is None:
            continue
        by_category[record.category].append(fields)
        shown.append(
            ReportRecord(
                record.id, record.category, fields, source, record.occurred_on, record.version
            )
        )
    declared = (await declared_figures(session, [enterprise.id])).get(enterprise.id)
    _facts, evaluation = facts_and_evaluation(enterprise, dict(by_category), declared, today)
    categories = sorted({r.category for r in shown})
    scopes = sorted(covered)
    await trail.record_access(
        session,
        runtime=runtime,
        actor=actor,
        kind=AccessKind.REPORT,
        enterprise_ids=[enterprise.id],
        categories=categories,
        purpose=chosen,
        authorization_ids=[g.id for g in grants],
        subject_id=enterprise.uscc,
        details={"records": len(shown), "scopes": scopes, "identity": IDENTITY_SCOPE in covered},
    )
    return CreditReport(
        enterprise=enterprise,
        evaluation=evaluation,
        records=shown[:MAX_RECORDS],
        truncated=len(shown) > MAX_RECORDS,
        purpose=chosen,
        covered_scopes=scopes,
        authorizations=grants,
        generated_at=utcnow(),
    )
