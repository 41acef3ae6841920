"""Which keys the data still needs, and for what: the ``--status`` of ``xinrong rotate-keys``.

Counts are plain SQL over the key ids stored with what a key made (ciphertexts, audit rows); no
ciphertext is decrypted. Records without personal data keep no key id with their look-up hash,
so whether those hashes moved to the current key is taken from the last complete
``keys.rotate`` run (which checked each of them), not counted here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import case, func, literal, select
from sqlalchemy.ext.asyncio import AsyncSession

from backend.audit.key_order import completes_rotation
from backend.audit.models import AuditChainHead, AuditEntry
from backend.credit.models import CreditRecord
from backend.db.base import utcnow
from backend.enterprises.models import Enterprise
from backend.security.rotation import AUDIT_ACTION, KeysById
from backend.security.rotation_sql import CIPHER_VERSION, ENTERPRISE_IDS, RECORD_PERSONAL
from backend.settings import Settings

CURRENT = "current"
PREVIOUS = "previous"
MISSING = "not configured"


@dataclass
class KeyUse:
    """What one key id is used for in the database."""

    key_id: str
    role: str  # CURRENT, PREVIOUS or MISSING
    ciphertexts: dict[str, int] = field(default_factory=dict)
    audit_rows: int = 0
    first_seq: int | None = None
    last_seq: int | None = None
    signs_head: bool = False

    @property
    def cipher_count(self) -> int:
        """Ciphertexts under this key, all columns together."""
        return sum(self.ciphertexts.values())


@dataclass(frozen=True)
class LastRotation:
    """The newest complete ``keys.rotate`` run to the current key."""

    seq: int
    occurred_at: datetime
    details: dict[str, Any]


@dataclass
class KeyInventory:
    """Every key id the database names or the settings hold, with what still needs it."""

    current_key_id: str
    keys: dict[str, KeyUse]
    records_without_personal: int
    last_rotation: LastRotation | None
    # Audit rows signed by another key after the last complete rotation: a stale instance.
    old_key_rows_after_rotation: int

    @property
    def has_previous(self) -> bool:
        """Whether XINRONG_PREVIOUS_SECRET_KEYS holds any key."""
        return any(use.role == PREVIOUS for use in self.keys.values())

    @property
    def missing(self) -> list[KeyUse]:
        """Key ids that data names but no configured secret gives."""
        return [use for use in self.keys.values() if use.role == MISSING]

    @property
    def complete(self) -> bool:
        """True when nothing but audit rows needs a key other than the current one."""
        if self.missing or self.old_key_rows_after_rotation:
            return False
        if any(use.cipher_count for use in self.keys.values() if use.role != CURRENT):
            return False
        return not self.has_previous or self.last_rotation is not None

    def verdict(self, use: KeyUse) -> str:
        """What an operator may do with this key, in one Chinese sentence."""
        if use.role == CURRENT:
            return "当前密钥"
        if use.role == MISSING:
            return (
                f"缺少此密钥：{use.cipher_count} 条密文、{use.audit_rows} 条审计记录使用它，"
                "请把它对应的旧密钥加入 XINRONG_PREVIOUS_SECRET_KEYS"
            )
        if use.cipher_count:
            return f"仍需要：{use.cipher_count} 条密文仍在此密钥下，请运行 xinrong rotate-keys"
        if self.last_rotation is None:
            return (
                "可能仍需要：尚未完成向当前密钥的轮换"
                "（无个人信息记录的查重哈希只能由 rotate-keys 检查）"
            )
        if use.audit_rows:
            return (
                f"保留：审计记录 seq {use.first_seq}–{use.last_seq} 由它签名，"
                "xinrong audit verify 需要它（审计日志永久保存，此密钥不可删除）"
            )
        return "不再需要：可从 XINRONG_PREVIOUS_SECRET_KEYS 中删除"


def _key_id_of(column: Any) -> Any:
    return case(
        (column.like(f"{CIPHER_VERSION}.%"), func.substr(column, len(CIPHER_VERSION) + 2, 16)),
        else_=literal("?"),
    )


async def _cipher_counts(session: AsyncSession) -> dict[tuple[str, str], int]:
    counts: dict[tuple[str, str], int] = {}
    for name, column in (
        (ENTERPRISE_IDS, Enterprise.legal_rep_id_cipher),
        (RECORD_PERSONAL, CreditRecord.personal_cipher),
    ):
        key_id = _key_id_of(column).label("key_id")
        rows = await session.execute(
            select(key_id, func.count()).where(column.is_not(None)).group_by(key_id)
        )
        counts.update({(str(kid), name): count for kid, count in rows})
    return counts


async def _last_rotation(session: AsyncSession, current_key_id: str) -> LastRotation | None:
    rows = await session.execute(
        select(AuditEntry.seq, AuditEntry.occurred_at, AuditEntry.details)
        .where(
            AuditEntry.action == AUDIT_ACTION,
            AuditEntry.outcome == "success",
            AuditEntry.subject_id == current_key_id,
        )
        .order_by(AuditEntry.seq.desc())
        .limit(50)
    )
    for seq, occurred_at, details in rows:
        if completes_rotation(AUDIT_ACTION, "success", current_key_id, details):
            return LastRotation(seq, occurred_at, details)
    return None


async def key_inventory(session: AsyncSession, settings: Settings) -> KeyInventory:
    """Count, per key id, the ciphertexts and audit rows under it; name the last rotation."""
    held = KeysById(settings)
    keys = {
        key_id: KeyUse(key_id, CURRENT if key_id == held.current_id else PREVIOUS)
        for key_id in held.rings
    }

    def use_of(key_id: str) -> KeyUse:
        return keys.setdefault(key_id, KeyUse(key_id, MISSING))

    for (key_id, column), count in (await _cipher_counts(session)).items():
        use_of(key_id).ciphertexts[column] = count
    audit_rows = await session.execute(
        select(
            AuditEntry.key_id, func.count(), func.min(AuditEntry.seq), func.max(AuditEntry.seq)
        ).group_by(AuditEntry.key_id)
    )
    for key_id, count, first_seq, last_seq in audit_rows:
        use = use_of(key_id)
        use.audit_rows, use.first_seq, use.last_seq = count, first_seq, last_seq
    head = (await session.execute(select(AuditChainHead.key_id, AuditChainHead.seq))).first()
    if head is not None and head.seq > 0:
        use_of(head.key_id).signs_head = True
    without_personal = await session.scalar(
        select(func.count()).select_from(CreditRecord).where(CreditRecord.personal_cipher.is_(None))
    )
    last = await _last_rotation(session, held.current_id)
    after = 0
    if last is not None:
        after = await session.scalar(
            select(func.count())
            .select_from(AuditEntry)
            .where(AuditEntry.seq > last.seq, AuditEntry.key_id != held.current_id)
        )
    return KeyInventory(held.current_id, keys, without_personal or 0, last, after or 0)


async def _last_start_seq(session: AsyncSession, current_key_id: str) -> int:
    """The seq of the newest ``keys.rotate`` start to the current key (0 when none)."""
    rows = await session.execute(
        select(AuditEntry.seq, AuditEntry.details)
        .where(AuditEntry.action == AUDIT_ACTION, AuditEntry.subject_id == current_key_id)
        .order_by(AuditEntry.seq.desc())
        .limit(50)
    )
    return next((seq for seq, details in rows if (details or {}).get("phase") == "started"), 0)


async def recent_old_key_writers(
    session: AsyncSession, current_key_id: str, minutes: int
) -> dict[str, tuple[int, datetime]]:
    """Audit rows signed by another key in the last ``minutes`` and after the last rotation to
    the current key started: (count, newest) by key id.

    Every instance signs its audit rows with its current key, so such rows mean that an instance
    still runs with an old key as its current one: it could not read what a rotation writes.
    Rows from before an earlier run of this rotation started do not count (a re-run may follow
    at once).
    """
    since = utcnow() - timedelta(minutes=minutes)
    after_seq = await _last_start_seq(session, current_key_id)
    rows = await session.execute(
        select(AuditEntry.key_id, func.count(), func.max(AuditEntry.occurred_at))
        .where(
            AuditEntry.occurred_at >= since,
            AuditEntry.seq > after_seq,
            AuditEntry.key_id != current_key_id,
        )
        .group_by(AuditEntry.key_id)
    )
    return {key_id: (count, newest) for key_id, count, newest in rows}
