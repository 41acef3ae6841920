"""Reads of enterprise data that need an ownership or authorisation check and an audit row."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from backend.audit import service as audit
from backend.consent import service as consent
from backend.consent import trail
from backend.consent.models import AccessKind, AccessPurpose
from backend.consent.scopes import IDENTITY_SCOPE
from backend.credit.registration import ID_NUMBER_CONTEXT
from backend.enterprises.models import Enterprise
from backend.identity.models import Role
from backend.institutions.models import ApiScope
from backend.runtime import Runtime
from backend.security.actor import Actor


def is_own_enterprise(actor: Actor, enterprise: Enterprise) -> bool:
    """Whether the actor is a user of this very enterprise."""
    return actor.role == Role.ENTERPRISE.value and actor.enterprise_id == enterprise.id


async def read_legal_rep_id_number(
    *, session: AsyncSession, runtime: Runtime, actor: Actor, enterprise: Enterprise
) -> str | None:
    """The full ID number for a reader allowed to see it, else None (every reveal audited).

    Allowed: the enterprise itself, and an institution holding a live grant from it with the
    ``legal_rep_identity`` scope (PIPL art. 29 separate consent); the institution's read also
    goes into the enterprise's data-access trail. Everyone else sees only the masked number.
    """
    if is_own_enterprise(actor, enterprise):
        await audit.record(
            session,
            keyring=runtime.keyring,
            actor=actor,
            action="enterprise.read_legal_rep_id",
            subject_type="enterprise",
            subject_id=enterprise.uscc,
            enterprise_id=enterprise.id,
        )
    elif (
        actor.role == Role.INSTITUTION.value
        and actor.institution_id is not None
        and actor.may_use(ApiScope.REPORTS.value)
    ):
        grants = consent.identity_grants(
            await consent.live_grants(
                session, enterprise_id=enterprise.id, institution_id=actor.institution_id
            )
        )
        if not grants:
            return None
        await trail.record_access(
            session,
            runtime=runtime,
            actor=actor,
            kind=AccessKind.IDENTITY,
            enterprise_ids=[enterprise.id],
            categories=[IDENTITY_SCOPE],
            purpose=AccessPurpose(grants[0].purpose),
            authorization_ids=[g.id for g in grants],
            subject_id=enterprise.uscc,
        )
    else:
        return None
    return runtime.keyring.decrypt(enterprise.legal_rep_id_cipher, context=ID_NUMBER_CONTEXT)
