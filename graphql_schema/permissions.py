"""Field permissions: signed in, and of one of the given roles. Services check again."""

from __future__ import annotations

from typing import Any

from strawberry.extensions.field_extension import FieldExtension
from strawberry.permission import BasePermission, PermissionExtension
from strawberry.types import Info

from backend.identity.models import Role


class IsAuthenticated(BasePermission):
    """The caller presents a live session token."""

    message = "请先登录"
    error_extensions = {"code": "NOT_AUTHENTICATED"}  # noqa: RUF012

    async def has_permission(self, source: Any, info: Info, **kwargs: Any) -> bool:
        """True when a signed-in account is behind the request."""
        return await info.context.account() is not None


class HasRole(BasePermission):
    """The signed-in account has one of ``roles``."""

    message = "当前账户无权进行此操作"
    error_extensions = {"code": "FORBIDDEN"}  # noqa: RUF012

    def __init__(self, *roles: Role) -> None:
        self.roles = frozenset(role.value for role in roles)

    async def has_permission(self, source: Any, info: Info, **kwargs: Any) -> bool:
        """True when the account's role is one of the allowed roles."""
        account = await info.context.account()
        return account is not None and account.role in self.roles


def signed_in() -> list[FieldExtension]:
    """Field extensions requiring any signed-in account."""
    return [PermissionExtension(permissions=[IsAuthenticated()], use_directives=False)]


def roles(*allowed: Role) -> list[FieldExtension]:
    """Field extensions requiring a signed-in account of one of ``allowed`` roles."""
    # No schema directives: a bare @hasRole in the SDL would not say which role; the field
    # descriptions say it in words instead.
    return [
        PermissionExtension(
            permissions=[IsAuthenticated(), HasRole(*allowed)], use_directives=False
        )
    ]
