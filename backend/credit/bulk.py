"""Bulk physical collection: stream a JSON Lines or CSV file of any size into one batch.

The file is read chunk by chunk and written in chunks of ``CHUNK_ROWS`` rows inside one
transaction, so a failure leaves nothing half-written and memory stays flat. Each chunk is
checked while the one before it is being written (the database and the checks overlap), and the
features of the enterprises the file touched are refreshed once, after the last chunk, in the
same transaction. Re-sending the same bytes under the same batch id returns the stored outcome;
other bytes under it are a CONFLICT.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy.exc import IntegrityError

from backend.clock import china_today
from backend.credit import batch as batches
from backend.credit.formats import csv_rows, jsonl_rows
from backend.credit.ingest import find_batch, record_batch_audit
from backend.credit.models import IngestBatch
from backend.enterprises.features import refresh_features
from backend.errors import DomainError, ErrorCode
from backend.runtime import Runtime
from backend.security.actor import Actor

CHUNK_ROWS = 2000
YIELD_ROWS = 64  # while a chunk is being written, hand it the event loop this often
MAX_STORED_ERRORS = 1000
_READERS = {"jsonl": jsonl_rows, "csv": csv_rows}


@dataclass(frozen=True)
class BulkOutcome:
    """The stored batch, the first row errors, and whether it was a replay."""

    batch: IngestBatch
    row_errors: list[dict[str, Any]]
    errors_truncated: bool
    replayed: bool


async def _tap(body: AsyncIterator[bytes], digest: Any) -> AsyncIterator[bytes]:
    """Pass the chunks on while hashing them."""
    async for chunk in body:
        digest.update(chunk)
        yield chunk


async def _drain(body: AsyncIterator[bytes]) -> None:
    async for _chunk in body:
        pass


async def ingest_stream(
    *,
    runtime: Runtime,
    actor: Actor,
    batch_id: str,
    category: str,
    body: AsyncIterator[bytes],
    fmt: str,
    all_or_nothing: bool = False,
    on_progress: Callable[[int], None] | None = None,
    on_row_errors: Callable[[list[dict[str, Any]]], None] | None = None,
) -> BulkOutcome:
    """Load one streamed file as one batch; commits by itself (the caller holds no session)."""
    batches.check_batch_id(batch_id)
    spec = batches.category_spec(category)
    if fmt not in _READERS:
        raise DomainError(ErrorCode.VALIDATION_ERROR, "格式应为 jsonl 或 csv", field="format")
    digest = hashlib.sha256(f"bulk|{category}|{fmt}|{all_or_nothing}|".encode())
    tapped = _tap(body, digest)
    async with runtime.sessionmaker() as session:
        provider = await batches.provider_for(session, actor, category)
        if await find_batch(session, provider, batch_id, content_hash=None) is not None:
            # A used id: read the whole body, then it is a replay or a CONFLICT.
            await _drain(tapped)
            existing = await find_batch(session, provider, batch_id, digest.hexdigest())
            assert existing is not None
            return BulkOutcome(existing, list(existing.row_errors or []), False, replayed=True)
        batch = IngestBatch(
            data_provider_id=provider.id,
            external_batch_id=batch_id,
            category=category,
            status=batches.BatchStatus.REJECTED,
            content_hash="pending",
            all_or_nothing=all_or_nothing,
            submitted_by_account_id=actor.account_id,
        )
        session.add(batch)
        try:
            await session.flush()
        except IntegrityError as exc:  # the same id sent twice at the same moment
            raise DomainError(
                ErrorCode.CONFLICT, "同一批次号正在处理中，请稍后查询结果", field="batchId"
            ) from exc
        batch_pk = batch.id

        today = china_today()
        enterprise_ids: dict[str, int] = {}
        touched: set[int] = set()  # features are refreshed once per enterprise, at the end
        errors: list[dict[str, Any]] = []
        error_count = applied = seen = 0
        refused = False
        pending: asyncio.Task[None] | None = None

        async def write_chunk(checker: batches.RowChecker, read: int) -> None:
            nonlocal applied, error_count, refused
            plan = await checker.finish(session, enterprise_ids)
            if plan.errors:
                error_count += len(plan.errors)
                errors.extend(plan.errors[: MAX_STORED_ERRORS - len(errors)])
                if on_row_errors:
                    on_row_errors(plan.errors)
                refused = refused or all_or_nothing
            if not refused:
                await batches.store(
                    session,
                    runtime,
                    spec,
                    provider_id=provider.id,
                    batch_id=batch_pk,
                    plan=plan,
                    enterprise_ids=enterprise_ids,
                    touched=touched,
                )
                applied += len(plan.rows)
            session.expunge_all()
            if on_progress:
                on_progress(read)

        async def hand_over(checker: batches.RowChecker, read: int) -> None:
            # Chunks are written one after another on the session; the next one is checked
            # meanwhile, while the database works on this one.
            nonlocal pending
            if pending is not None:
                await pending
            pending = asyncio.create_task(write_chunk(checker, read))

        checker = batches.RowChecker(spec, today, runtime.keyring)
        try:
            async for raw in _READERS[fmt](tapped):
                checker.add(seen, raw)
                seen += 1
                if len(checker) >= CHUNK_ROWS:
                    await hand_over(checker, seen)
                    checker = batches.RowChecker(spec, today, runtime.keyring)
                elif pending is not None and seen % YIELD_ROWS == 0:
                    await asyncio.sleep(0)  # let the chunk being written go on
            if len(checker) or seen == 0:
                await hand_over(checker, seen)
            if pending is not None:
                await pending
        except BaseException:
            if pending is not None and not pending.done():
                await asyncio.gather(pending, return_exceptions=True)
            raise
        if seen == 0:
            raise DomainError(ErrorCode.VALIDATION_ERROR, "文件中没有记录", field="body")

        content_hash = digest.hexdigest()
        if refused:
            await session.rollback()
            applied = 0
            batch = IngestBatch(
                data_provider_id=provider.id,
                external_batch_id=batch_id,
                category=category,
                all_or_nothing=True,
                submitted_by_account_id=actor.account_id,
            )
            session.add(batch)
        else:
            await refresh_features(session, touched, today)
            batch = await session.get_one(IngestBatch, batch_pk)
        batch.status = batches.status_of(applied, error_count)
        batch.accepted = applied
        batch.rejected = error_count
        batch.withdrawn = 0
        batch.content_hash = content_hash
        batch.row_errors = errors
        await session.flush()
        await record_batch_audit(session, runtime, actor, provider, batch)
        await session.commit()
    return BulkOutcome(batch, errors, error_count > len(errors), replayed=False)
