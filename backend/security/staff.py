"""Role checks that services share: government staff, and an enterprise acting for itself."""

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


def own_enterprise_id(actor: Actor, doing: str, unverified: str = "请先完成企业实名认证") -> int:
    """The verified enterprise of a signed-in enterprise account; anyone else gets FORBIDDEN
    saying only enterprises may do ``doing``, an unverified account gets ``unverified``."""
    if actor.role != Role.ENTERPRISE.value or actor.account_id is None:
        raise DomainError(ErrorCode.FORBIDDEN, f"只有企业用户可以{doing}")
    if actor.enterprise_id is None:
        raise DomainError(ErrorCode.FORBIDDEN, unverified)
    return actor.enterprise_id
