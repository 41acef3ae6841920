"""The six callers the fuzz suite signs in as, on a demo database."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select

from backend.db.base import utcnow
from backend.identity import service as identity
from backend.identity.models import Account, AuthSession
from backend.runtime import Runtime
from backend.security.tokens import new_token
from tests.support.builders import (
    AUDITOR_PHONE,
    BANK_PHONE,
    GOVERNMENT_PHONE,
    PROVIDER_PHONE,
    load_demo,
    login,
    verified_enterprise_user,
)
from tests.support.fuzz_rows import Owner, Snapshot
from tests.support.graphql import GraphQLClient

ROLES = ["ANONYMOUS", "ENTERPRISE", "INSTITUTION", "GOVERNMENT", "DATA_PROVIDER", "AUDITOR"]
_STAFF_PHONES = {
    "INSTITUTION": BANK_PHONE,
    "GOVERNMENT": GOVERNMENT_PHONE,
    "DATA_PROVIDER": PROVIDER_PHONE,
    "AUDITOR": AUDITOR_PHONE,
}


@dataclass
class Caller:
    """A signed-in caller (or the anonymous one) and the ids its own rows carry."""

    owner: Owner
    token: str | None
    # The database as the previous generated call left it (see tests/api/test_fuzz_graphql.py).
    last_snapshot: Snapshot | None = None

    async def renew_if_signed_out(self, runtime: Runtime) -> None:
        """Open a fresh session when a generated ``logout`` ended this caller's one."""
        if self.token is None:
            return
        async with runtime.sessionmaker() as session:
            if await identity.authenticate(session=session, token=self.token) is not None:
                return
            token, token_hash = new_token()
            session.add(
                AuthSession(
                    account_id=self.owner.account_id,
                    token_hash=token_hash,
                    expires_at=utcnow() + timedelta(hours=12),
                )
            )
            await session.commit()
        self.token = token


async def sign_in_as(role: str, client: GraphQLClient, runtime: Runtime) -> Caller:
    """Load the demo data and sign in as ``role`` (a new account verified as the demo firm for
    ENTERPRISE; the demo staff account for the staff roles; nobody for ANONYMOUS)."""
    await load_demo(runtime)
    if role == "ANONYMOUS":
        return Caller(Owner(role), None)
    if role == "ENTERPRISE":
        token = await verified_enterprise_user(client)
    else:
        token = await login(client, _STAFF_PHONES[role])
    async with runtime.sessionmaker() as session:
        principal = await identity.authenticate(session=session, token=token)
        assert principal is not None
        account = (
            await session.execute(select(Account).where(Account.id == principal.account.id))
        ).scalar_one()
    owner = Owner(
        role=role,
        account_id=account.id,
        enterprise_id=account.enterprise_id,
        institution_id=account.institution_id,
        data_provider_id=account.data_provider_id,
    )
    assert account.role == role, (account.role, role)
    return Caller(owner, token)
