"""The SQL of a key rotation: reading a batch of rows not under the current key, and writing
a batch back with compare-and-set updates (a row is rewritten only while it still holds what
was read)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, bindparam, or_, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.dml import Update

from backend.credit.models import CreditRecord
from backend.enterprises.models import Enterprise

CIPHER_VERSION = "v1"
ENTERPRISE_IDS = "enterprises.legal_rep_id"
RECORD_PERSONAL = "credit_records.personal"
RECORD_HASH_ONLY = "credit_records.content_hash"
COLUMNS = (ENTERPRISE_IDS, RECORD_PERSONAL, RECORD_HASH_ONLY)

_ENTERPRISES = Enterprise.__table__
_RECORDS = CreditRecord.__table__


@dataclass(frozen=True, slots=True)
class RowChange:
    """One row to rewrite: what it held when read and what it should hold."""

    row_id: int
    column: str
    old_cipher: str | None
    old_hash: str
    new_cipher: str | None
    new_hash: str


_ROTATE_ENTERPRISE = (
    update(_ENTERPRISES)
    .where(
        _ENTERPRISES.c.id == bindparam("row_id"),
        _ENTERPRISES.c.legal_rep_id_cipher == bindparam("old_cipher"),
        _ENTERPRISES.c.legal_rep_id_hash == bindparam("old_hash"),
    )
    # Rewriting the same ID number under another key is not a change of the enterprise.
    .values(
        legal_rep_id_cipher=bindparam("new_cipher"),
        legal_rep_id_hash=bindparam("new_hash"),
        updated_at=_ENTERPRISES.c.updated_at,
    )
)
_ROTATE_RECORD = (
    update(_RECORDS)
    .where(
        _RECORDS.c.id == bindparam("row_id"),
        _RECORDS.c.personal_cipher == bindparam("old_cipher"),
        _RECORDS.c.content_hash == bindparam("old_hash"),
    )
    .values(personal_cipher=bindparam("new_cipher"), content_hash=bindparam("new_hash"))
)
_ROTATE_RECORD_HASH = (
    update(_RECORDS)
    .where(
        _RECORDS.c.id == bindparam("row_id"),
        _RECORDS.c.personal_cipher.is_(None),
        _RECORDS.c.content_hash == bindparam("old_hash"),
    )
    .values(content_hash=bindparam("new_hash"))
)


def _statement(change: RowChange) -> tuple[Update, dict[str, Any]]:
    params: dict[str, Any] = {"row_id": change.row_id, "old_hash": change.old_hash}
    params["new_hash"] = change.new_hash
    if change.column == RECORD_HASH_ONLY:
        return _ROTATE_RECORD_HASH, params
    params.update(old_cipher=change.old_cipher, new_cipher=change.new_cipher)
    statement = _ROTATE_ENTERPRISE if change.column == ENTERPRISE_IDS else _ROTATE_RECORD
    return statement, params


def enterprise_batch(prefix: str, after: int, limit: int) -> Select[Any]:
    table = _ENTERPRISES
    return (
        select(table.c.id, table.c.legal_rep_id_cipher, table.c.legal_rep_id_hash)
        .where(table.c.id > after, table.c.legal_rep_id_cipher.not_like(prefix + "%"))
        .order_by(table.c.id)
        .limit(limit)
    )


def record_batch(prefix: str, after: int, limit: int) -> Select[Any]:
    # Records without personal data carry no key id: every run reads them and checks their hash.
    table = _RECORDS
    cipher = table.c.personal_cipher
    return (
        select(table.c.id, table.c.category, table.c.fields, cipher, table.c.content_hash)
        .where(table.c.id > after, or_(cipher.is_(None), cipher.not_like(prefix + "%")))
        .order_by(table.c.id)
        .limit(limit)
    )


# PostgreSQL: a whole batch in one statement; RETURNING names the rows still as read.
_SET_ROTATE = {
    "enterprises": text(
        "UPDATE enterprises AS t"
        " SET legal_rep_id_cipher = v.new_cipher, legal_rep_id_hash = v.new_hash"
        " FROM unnest(CAST(:row_ids AS bigint[]), CAST(:old_ciphers AS text[]),"
        " CAST(:old_hashes AS text[]), CAST(:new_ciphers AS text[]), CAST(:new_hashes AS text[]))"
        " AS v(id, old_cipher, old_hash, new_cipher, new_hash)"
        " WHERE t.id = v.id AND t.legal_rep_id_cipher = v.old_cipher"
        " AND t.legal_rep_id_hash = v.old_hash RETURNING t.id"
    ),
    "credit_records": text(
        "UPDATE credit_records AS t"
        " SET personal_cipher = v.new_cipher, content_hash = v.new_hash"
        " FROM unnest(CAST(:row_ids AS bigint[]), CAST(:old_ciphers AS text[]),"
        " CAST(:old_hashes AS text[]), CAST(:new_ciphers AS text[]), CAST(:new_hashes AS text[]))"
        " AS v(id, old_cipher, old_hash, new_cipher, new_hash)"
        " WHERE t.id = v.id AND t.personal_cipher IS NOT DISTINCT FROM v.old_cipher"
        " AND t.content_hash = v.old_hash RETURNING t.id"
    ),
}


async def _write_set(session: AsyncSession, table: str, changes: list[RowChange]) -> set[int]:
    params = {
        "row_ids": [change.row_id for change in changes],
        "old_ciphers": [change.old_cipher for change in changes],
        "old_hashes": [change.old_hash for change in changes],
        "new_ciphers": [change.new_cipher for change in changes],
        "new_hashes": [change.new_hash for change in changes],
    }
    return set((await session.execute(_SET_ROTATE[table], params)).scalars())


async def _write_rows(session: AsyncSession, changes: list[RowChange]) -> set[int]:
    written = set()
    for change in changes:
        statement, params = _statement(change)
        if (await session.execute(statement, params)).rowcount == 1:  # type: ignore[attr-defined]
            written.add(change.row_id)
    return written


async def write_changes(session: AsyncSession, table: str, changes: list[RowChange]) -> set[int]:
    """Write ``changes`` (rows of ``table``) in the session's transaction; returns the ids of the
    rows written, i.e. those that still held what was read."""
    if session.get_bind().dialect.name == "postgresql":
        return await _write_set(session, table, changes)
    return await _write_rows(session, changes)
