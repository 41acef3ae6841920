"""Interface calls (接口调用) and verification (数据核验).

The enterprise asking about itself is its own authorisation; institutions call through the
authorisation gate (a live grant for the purpose that covers the category). Answers are cached
per provider, enterprise and category until the provider's ``cache_ttl_s``; when the provider is
down a cached answer is served marked stale.
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
from backend.consent import service as consent
from backend.consent import trail
from backend.consent.models import AccessKind
from backend.consent.scopes import has_non_public_content, shown_fields
from backend.credit.batch import category_spec
from backend.credit.connectors.http import ProviderUnavailable
from backend.credit.models import ConnectorCacheEntry, DataProvider
from backend.credit.validation import validate_record
from backend.db.base import utcnow
from backend.enterprises.models import Enterprise
from backend.errors import DomainError, ErrorCode
from backend.identity.models import Role
from backend.reports.access import enterprise_by_uscc, parse_purpose, require_institution_reader
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


async def _provider_for(session: AsyncSession, category: str) -> DataProvider:
    category_spec(category)
    providers = (await session.execute(select(DataProvider))).scalars().all()
    provider = next(
        (p for p in providers if category in (p.categories or []) and (p.interface or {})),
        None,
    )
    if provider is None:
        raise DomainError(ErrorCode.NOT_FOUND, "该类别暂无接口调用方式", field="category")
    return provider


async def _enterprise_and_provider(
    session: AsyncSession, actor: Actor, category: str
) -> tuple[Enterprise, DataProvider]:
    if actor.role != Role.ENTERPRISE.value or actor.enterprise_id is None:
        raise DomainError(ErrorCode.FORBIDDEN, "请先完成企业实名认证")
    provider = await _provider_for(session, category)
    enterprise = await session.get(Enterprise, actor.enterprise_id)
    if enterprise is None:
        raise DomainError(ErrorCode.NOT_FOUND, "企业不存在")
    return enterprise, provider


async def _fetch(
    session: AsyncSession,
    runtime: Runtime,
    enterprise: Enterprise,
    provider: DataProvider,
    category: str,
) -> InterfaceAnswer:
    """The provider's answer for one enterprise and category: cached, fresh, or stale."""
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
    if cached is not None and cached.expires_at > now:
        return InterfaceAnswer(
            cached.response["records"], provider.name, cached.fetched_at, True, False
        )
    connector = runtime.connector_for(provider.id, provider.interface or {})
    try:
        raw = await connector.fetch(category=category, uscc=enterprise.uscc)
    except ProviderUnavailable as exc:
        if cached is None:
            raise DomainError(
                ErrorCode.PROVIDER_UNAVAILABLE, f"{provider.name}接口暂不可用，请稍后再试"
            ) from exc
        return InterfaceAnswer(
            cached.response["records"], provider.name, cached.fetched_at, True, True
        )
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
    return InterfaceAnswer(records, provider.name, now, False, False)


def _call_details(provider: DataProvider, category: str, answer: InterfaceAnswer) -> dict[str, Any]:
    return {
        "provider": provider.code,
        "category": category,
        "from_cache": answer.from_cache,
        "stale": answer.stale,
        "records": len(answer.records),
    }


async def interface_records(
    *, session: AsyncSession, runtime: Runtime, actor: Actor, category: str
) -> InterfaceAnswer:
    """The enterprise's own records of ``category`` from the provider's interface (cached)."""
    enterprise, provider = await _enterprise_and_provider(session, actor, category)
    answer = await _fetch(session, runtime, enterprise, provider, category)
    await audit.record(
        session,
        keyring=runtime.keyring,
        actor=actor,
        action="interface.call",
        subject_type="enterprise",
        subject_id=enterprise.uscc,
        enterprise_id=enterprise.id,
        details=_call_details(provider, category, answer),
    )
    return answer


async def institution_interface_records(
    *,
    session: AsyncSession,
    runtime: Runtime,
    actor: Actor,
    uscc: str,
    category: str,
    purpose: str,
) -> InterfaceAnswer:
    """An institution's interface call (接口调用) about one enterprise, through the gate.

    A category with non-public content needs a live grant for ``purpose`` that covers it
    (else NOT_AUTHORIZED, audited); the answer shows only what the grants cover. The call is
    audited and added to the enterprise's trail.
    """
    institution_id = require_institution_reader(actor)
    chosen = parse_purpose(purpose)
    enterprise = await enterprise_by_uscc(session, uscc)
    spec = category_spec(category)
    provider = await _provider_for(session, category)
    grants = await consent.live_grants(
        session, enterprise_id=enterprise.id, institution_id=institution_id, purpose=chosen
    )
    covering = [g for g in grants if category in (g.scopes or ())]
    if has_non_public_content(spec) and not covering:
        await trail.record_refusal(
            session,
            runtime=runtime,
            actor=actor,
            kind=AccessKind.INTERFACE,
            enterprise_id=enterprise.id,
            enterprise_uscc=enterprise.uscc,
            details={"category": category, "purpose": chosen.value},
        )
        raise DomainError(
            ErrorCode.NOT_AUTHORIZED,
            f"该企业未就此用途授权本机构查询“{spec.label}”，或授权已撤销、已过期",
            field="category",
        )
    answer = await _fetch(session, runtime, enterprise, provider, category)
    covered = frozenset({category}) if covering else frozenset()
    shown = [
        fields
        for fields in (shown_fields(spec, record, covered) for record in answer.records)
        if fields is not None
    ]
    await trail.record_access(
        session,
        runtime=runtime,
        actor=actor,
        kind=AccessKind.INTERFACE,
        enterprise_ids=[enterprise.id],
        categories=[category],
        purpose=chosen,
        authorization_ids=[g.id for g in covering],
        subject_id=enterprise.uscc,
        details=_call_details(provider, category, answer),
    )
    return InterfaceAnswer(shown, answer.source, answer.fetched_at, answer.from_cache, answer.stale)


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
