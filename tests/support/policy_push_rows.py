"""Rows for policy push tests: many small firms with features, and policies, written directly
(thousands of firms through ingestion would make the tests slow without testing more)."""

from __future__ import annotations

import itertools
from datetime import date, timedelta
from typing import Any

from sqlalchemy import func, insert, select

from backend.clock import china_today
from backend.db.base import utcnow
from backend.enterprises.models import Enterprise, EnterpriseFeatures
from backend.identity.uscc import uscc_check_character
from backend.inbox.models import InboxMessage
from backend.policies.models import Policy
from backend.runtime import Runtime

_serial = itertools.count(1)

#: Firms in business at least 2 years in Linyi (3713): the rule below holds for the even ones.
RULE = {
    "all": [
        {"fact": "years_in_business", "op": "gte", "value": 2},
        {"fact": "size_class", "op": "in", "value": ["micro", "small"]},
    ]
}


def _uscc(region_code: str) -> str:
    first17 = f"91{region_code}PP{next(_serial):07d}"
    return first17 + uscc_check_character(first17)


async def insert_firms(
    runtime: Runtime, count: int, *, region_code: str = "371302", qualifying: Any = None
) -> list[int]:
    """``count`` firms with features; ``qualifying(i)`` says whether firm i meets ``RULE``
    (default: every other one). Returns their ids in order."""
    qualifying = qualifying or (lambda i: i % 2 == 0)
    now = utcnow()
    async with runtime.sessionmaker() as session:
        serials = [next(_serial) for _ in range(count)]
        created = await session.execute(
            insert(Enterprise).returning(Enterprise.id, sort_by_parameter_order=True),
            [
                {
                    "uscc": _uscc(region_code),
                    "name": f"推送测试企业{serial}",
                    "entity_type": "enterprise",
                    "region_code": region_code,
                    "legal_rep_name": "张三",
                    "legal_rep_id_cipher": "not-a-real-cipher",
                    "legal_rep_id_hash": f"p{serial:063d}",
                    "legal_rep_id_masked": "371302********0000",
                    "created_at": now,
                    "updated_at": now,
                }
                for serial in serials
            ],
        )
        ids = list(created.scalars())
        rows = [
            {
                "enterprise_id": enterprise_id,
                "entity_type": "enterprise",
                "region_code": region_code,
                "size_class": "small",
                "years_in_business": 5 if qualifying(i) else 1,
                "declared_facts": [],
                "evaluation": {},
                "computed_at": now,
            }
            for i, enterprise_id in enumerate(ids)
        ]
        await session.execute(insert(EnterpriseFeatures), rows)
        await session.commit()
    return ids


async def insert_policy(
    runtime: Runtime,
    *,
    rule: dict[str, Any] | None = None,
    region_codes: list[str] | None = None,
    pushed: bool = False,
    valid_until: date | None = None,
) -> Policy:
    """An ACTIVE policy valid from yesterday (``pushed``: as if pushed once already)."""
    today = china_today()
    async with runtime.sessionmaker() as session:
        policy = Policy(
            title="临沂市小微企业贷款贴息",
            policy_type="INTEREST_SUBSIDY",
            issuer="临沂市财政局",
            summary="对符合条件的小微企业新发放贷款给予贴息。",
            body="一、支持对象：在临沂市登记注册的小微企业。二、贴息标准：按贷款利息的50%给予贴息。",
            eligibility=rule or RULE,
            region_codes=["3713"] if region_codes is None else region_codes,
            valid_from=today - timedelta(days=1),
            valid_until=valid_until or today + timedelta(days=365),
            pushed_at=utcnow() if pushed else None,
        )
        session.add(policy)
        await session.commit()
        return policy


async def messages_per_firm(runtime: Runtime, policy_id: int) -> dict[int, int]:
    """Enterprise id → how many messages of the policy it has."""
    async with runtime.sessionmaker() as session:
        rows = await session.execute(
            select(InboxMessage.enterprise_id, func.count())
            .where(InboxMessage.policy_id == policy_id)
            .group_by(InboxMessage.enterprise_id)
        )
        return {int(e): int(n) for e, n in rows}
