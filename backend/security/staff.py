"""Role checks that services share: government staff only."""

from __future__ import annotations

from backend.errors import DomainError, ErrorCode
from backend.identity.models import Role
from backend.security.actor import Actor


def government_staff(actor: Actor, refusal: str) -> int:
    """The account id of a signed-in government staff member; anyone else gets FORBIDDEN with
    ``refusal`` (a Chinese sentence saying what only staff may do)."""
    if actor.role != Role.GOVERNMENT.value or actor.account_id is None:
        raise DomainError(ErrorCode.FORBIDDEN, refusal)
    return actor.account_id
