"""Who acts for an institution: its staff, or its system with an API token of the right scope."""

from __future__ import annotations

from backend.errors import DomainError, ErrorCode
from backend.identity.models import Role
from backend.institutions.models import ApiScope
from backend.security.actor import Actor

# What each token scope lets a system do, as the refusal names it.
SCOPE_WORK = {
    ApiScope.REPORTS: "查询信用信息",
    ApiScope.PRODUCTS: "管理贷款产品",
    ApiScope.APPLICATIONS: "办理融资业务",
    ApiScope.ALERTS: "查看贷后预警",
}


def acting_institution(actor: Actor, scope: ApiScope, doing: str) -> int:
    """The actor's institution id when it is institution staff and its credential allows
    ``scope``; FORBIDDEN otherwise (``doing`` completes "只有金融机构可以…")."""
    if actor.role != Role.INSTITUTION.value or actor.institution_id is None:
        raise DomainError(ErrorCode.FORBIDDEN, f"只有金融机构可以{doing}")
    if not actor.may_use(scope.value):
        raise DomainError(
            ErrorCode.FORBIDDEN, f"该接口令牌没有{SCOPE_WORK[scope]}的权限（{scope.value}）"
        )
    return actor.institution_id
