"""Ending or correcting a record's current version (history kept), for decisions made on the
platform: an upheld objection, an approved credit repair. The enterprise's features follow."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from backend.clock import china_date
from backend.credit.batch import content_hash_input
from backend.credit.models import CreditRecord
from backend.credit.sharing_list import load_sharing_list
from backend.credit.validation import validate_record
from backend.enterprises.features import refresh_features
from backend.errors import DomainError, ErrorCode
from backend.runtime import Runtime


async def current_version(session: AsyncSession, record: CreditRecord) -> CreditRecord | None:
    """The version of ``record`` shown now (it may be ``record`` itself), locked for update."""
    return (
        await session.execute(
            select(CreditRecord)
            .where(
                CreditRecord.category == record.category,
                CreditRecord.natural_key == record.natural_key,
                CreditRecord.is_current.is_(True),
            )
            .with_for_update()
        )
    ).scalar_one_or_none()


async def end_current_version(
    session: AsyncSession, record: CreditRecord, at: datetime
) -> CreditRecord | None:
    """Stop showing and counting a record: its current version ends, history stays.

    ``record`` may be an older version; the version current now (if any) is the one ended.
    """
    current = await current_version(session, record)
    if current is not None:
        current.is_current = False
        current.superseded_at = at
        await session.flush()
        await refresh_features(session, [current.enterprise_id])
    return current


async def correct_record(
    session: AsyncSession, runtime: Runtime, record: CreditRecord, correction: Any, at: datetime
) -> CreditRecord:
    """Replace a record's current version by a corrected one (``correction`` holds new values)."""
    spec = load_sharing_list().get(record.category)
    if spec is None or spec.code == "registration":
        raise DomainError(
            ErrorCode.VALIDATION_ERROR,
            "登记注册信息须由登记机关更正后重新报送，不能在此更正",
            field="correction",
        )
    if not isinstance(correction, dict) or not correction:
        raise DomainError(ErrorCode.VALIDATION_ERROR, "更正内容应为非空的 JSON 对象", "correction")
    previous = await current_version(session, record)
    if previous is None:
        raise DomainError(
            ErrorCode.CONFLICT, "该记录已被数据提供单位撤回，无需更正", field="correction"
        )
    context = f"credit_records.{spec.code}"
    personal = (
        json.loads(runtime.keyring.decrypt(previous.personal_cipher, context=context))
        if previous.personal_cipher
        else {}
    )
    try:
        clean = validate_record(
            spec, {**previous.fields, **personal, **correction}, today=china_date(at)
        )
    except DomainError as exc:
        field = f"correction.{exc.field}" if exc.field else "correction"
        raise DomainError(exc.code, exc.message, field=field) from exc
    if clean.natural_key != previous.natural_key or clean.fields["uscc"] != previous.uscc:
        raise DomainError(
            ErrorCode.VALIDATION_ERROR,
            f"更正不能改变记录主体或主键字段（{'、'.join(spec.natural_key)}）",
            field="correction",
        )
    previous.is_current = False
    previous.superseded_at = at
    corrected = CreditRecord(
        enterprise_id=previous.enterprise_id,
        uscc=previous.uscc,
        category=previous.category,
        natural_key=previous.natural_key,
        version=previous.version + 1,
        is_current=True,
        fields=clean.fields,
        personal_cipher=(
            runtime.keyring.encrypt(json.dumps(clean.personal, ensure_ascii=False), context=context)
            if clean.personal
            else None
        ),
        content_hash=runtime.keyring.lookup_hash(content_hash_input(clean.fields, clean.personal)),
        occurred_on=clean.occurred_on,
        visible_until=clean.visible_until,
        data_provider_id=previous.data_provider_id,
        batch_id=previous.batch_id,
        received_at=at,
    )
    session.add(corrected)
    await session.flush()
    await refresh_features(session, [corrected.enterprise_id])
    return corrected
