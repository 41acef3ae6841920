"""Reads of enterprise data that need an ownership check and an audit row."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from backend.audit import service as audit
from backend.credit.registration import ID_NUMBER_CONTEXT
from backend.enterprises.models import Enterprise
from backend.identity.models import Role
from backend.runtime import Runtime
from backend.security.actor import Actor


def may_read_legal_rep_id(actor: Actor, enterprise: Enterprise) -> bool:
    """Only the enterprise itself sees the full ID number (institutions by grant: issue 4)."""
    return actor.role == Role.ENTERPRISE.value and actor.enterprise_id == enterprise.id


async def read_legal_rep_id_number(
    *, session: AsyncSession, runtime: Runtime, actor: Actor, enterprise: Enterprise
) -> str | None:
    """The decrypted ID number for a reader allowed to see it (audited), else None."""
    if not may_read_legal_rep_id(actor, enterprise):
        return None
    await audit.record(
        session,
        keyring=runtime.keyring,
        actor=actor,
        action="enterprise.read_legal_rep_id",
        subject_type="enterprise",
        subject_id=enterprise.uscc,
        enterprise_id=enterprise.id,
    )
    return runtime.keyring.decrypt(enterprise.legal_rep_id_cipher, context=ID_NUMBER_CONTEXT)
