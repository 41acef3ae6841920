"""Who is acting: the account behind a request (or the system), with request metadata for audit."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Actor:
    """The acting party as services see it; ``account_id`` is None for anonymous or system."""

    account_id: int | None = None
    role: str | None = None
    enterprise_id: int | None = None
    institution_id: int | None = None
    data_provider_id: int | None = None
    client_ip: str | None = None
    request_id: str | None = None
    is_system: bool = False
    # Set when an institution's system calls with an API token: the token and what it may do.
    api_token_id: int | None = None
    api_scopes: frozenset[str] | None = None

    def may_use(self, scope: str) -> bool:
        """Whether the credential allows ``scope``: a session may do all its role may do."""
        return self.api_scopes is None or scope in self.api_scopes

    @classmethod
    def anonymous(cls, *, client_ip: str | None = None, request_id: str | None = None) -> Actor:
        """An unauthenticated caller."""
        return cls(client_ip=client_ip, request_id=request_id)

    @classmethod
    def system(cls, request_id: str | None = None) -> Actor:
        """The platform itself (seeding, command-line jobs)."""
        return cls(is_system=True, request_id=request_id)
