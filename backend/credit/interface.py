"""Interface calls (接口调用) and verification (数据核验) for the enterprise's own data.

The enterprise asking about itself is its own authorisation; institutions will call through the
authorisation gate. Answers are cached per provider, enterprise and category until the
provider's ``cache_ttl_s``; when the provider is down a cached answer is served marked stale.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from backend.audit import service as audit
from backend.clock import china_today
from backend.credit.batch import category_spec
from backend.credit.connectors.http import ProviderUnavailable
from backend.credit.models import ConnectorCacheEntry, DataProvider
from backend.credit.validation import validate_record
from backend.db.base import utcnow
from backend.enterprises.models import Enterprise
from backend.errors import DomainError, ErrorCode
from backend.identity.models import Role
from backend.runtime import Runtime
from backend.security.actor import Actor

log = logging.getLogger("xinrong.interface")
DEFAULT_TTL_S = 3600


@dataclass(frozen=True)
class InterfaceAnswer:
    """Records from a provider's interface, and whether they came from the cache."""

    records: list[dict[str, Any]]
    source: str
    fetched_at: datetime
    from_cache: bool
    stale: bool


async def _enterprise_and_provider(
    session: AsyncSession, actor: Actor, category: str
) -> tuple[Enterprise, DataProvider]:
    if actor.role != Role.ENTERPRISE.value or actor.enterprise_id is None:
        raise DomainError(ErrorCode.FORBIDDEN, "请先完成企业实名认证")
    category_spec(category)
    enterprise = await session.get(Enterprise, actor.enterprise_id)
    providers = (await session.execute(select(DataProvider))).scalars().all()
    provider = next(
        (p for p in providers if category in (p.categories or []) and (p.interface or {})),
        None,
    )
    if enterprise is None or provider is None:
        raise DomainError(ErrorCode.NOT_FOUND, "该类别暂无接口调用方式", field="category")
    return enterprise, provider


async def interface_records(
    *, session: AsyncSession, runtime: Runtime, actor: Actor, category: str
) -> InterfaceAnswer:
    """The enterprise's records of ``category`` from the provider's interface (cached)."""
    enterprise, provider = await _enterprise_and_provider(session, actor, category)
    spec = category_spec(category)
    cached = (
        await session.execute(
            select(ConnectorCacheEntry).where(
                ConnectorCacheEntry.data_provider_id == provider.id,
                ConnectorCacheEntry.enterprise_id == enterprise.id,
                ConnectorCacheEntry.category == category,
            )
        )
    ).scalar_one_or_none()
    now = utcnow()
    answer: InterfaceAnswer
    if cached is not None and cached.expires_at > now:
        answer = InterfaceAnswer(
            cached.response["records"], provider.name, cached.fetched_at, True, False
        )
    else:
        connector = runtime.connector_for(provider.id, provider.interface or {})
        try:
            raw = await connector.fetch(category=category, uscc=enterprise.uscc)
        except ProviderUnavailable as exc:
            if cached is None:
                raise DomainError(
                    ErrorCode.PROVIDER_UNAVAILABLE, f"{provider.name}接口暂不可用，请稍后再试"
                ) from exc
            answer = InterfaceAnswer(
                cached.response["records"], provider.name, cached.fetched_at, True, True
            )
        else:
            records = []
            for item in raw:
                try:
                    clean = validate_record(spec, item, today=china_today())
                except DomainError as exc:
                    log.warning("%s sent a bad %s record: %s", provider.code, category, exc.message)
                    continue
                if clean.fields["uscc"] == enterprise.uscc:  # never keep another firm's data
                    records.append(clean.fields)
            ttl = int((provider.interface or {}).get("cache_ttl_s", DEFAULT_TTL_S))
            if cached is None:
                cached = ConnectorCacheEntry(
                    data_provider_id=provider.id, enterprise_id=enterprise.id, category=category
                )
                session.add(cached)
            cached.response = {"records": records}
            cached.fetched_at = now
            cached.expires_at = now + timedelta(seconds=ttl)
            answer = InterfaceAnswer(records, provider.name, now, False, False)
    await audit.record(
        session,
        keyring=runtime.keyring,
        actor=actor,
        action="interface.call",
        subject_type="enterprise",
        subject_id=enterprise.uscc,
        enterprise_id=enterprise.id,
        details={
            "provider": provider.code,
            "category": category,
            "from_cache": answer.from_cache,
            "stale": answer.stale,
            "records": len(answer.records),
        },
    )
    return answer


async def verify_claim(
    *,
    session: AsyncSession,
    runtime: Runtime,
    actor: Actor,
    category: str,
    claim: dict[str, Any],
) -> bool:
    """Ask the provider whether the enterprise's ``claim`` matches its data (数据核验)."""
    if not isinstance(claim, dict) or not claim:
        raise DomainError(ErrorCode.VALIDATION_ERROR, "核验内容不能为空", field="claim")
    enterprise, provider = await _enterprise_and_provider(session, actor, category)
    connector = runtime.connector_for(provider.id, provider.interface or {})
    try:
        match = await connector.verify(category=category, uscc=enterprise.uscc, claim=claim)
    except ProviderUnavailable as exc:
        raise DomainError(
            ErrorCode.PROVIDER_UNAVAILABLE, f"{provider.name}接口暂不可用，请稍后再试"
        ) from exc
    await audit.record(
        session,
        keyring=runtime.keyring,
        actor=actor,
        action="interface.verify",
        subject_type="enterprise",
        subject_id=enterprise.uscc,
        enterprise_id=enterprise.id,
        details={"provider": provider.code, "category": category, "match": match},
    )
    return match
