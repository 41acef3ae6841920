"""A check run on every GraphQL response of the test suite: no institution ever receives a full
ID number or mobile number, except the legal representative's ID number of an enterprise that
granted that institution the ``legal_rep_identity`` scope (live at the time of the response).

The guard looks up who is behind a bearer token (cached per token), scans the raw response text
for anything shaped like a valid mainland ID number or mobile number, and fails the test at the
request that leaked.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from sqlalchemy import select

from backend.consent import service as consent
from backend.enterprises.models import Enterprise
from backend.identity import service as identity
from backend.identity.id_number import is_valid_id_number
from backend.identity.models import Role
from backend.runtime import Runtime

ID_NUMBER = re.compile(r"(?<![0-9A-Za-z])\d{17}[\dXx](?![0-9A-Za-z])")
MOBILE = re.compile(r"(?<![0-9A-Za-z])1[3-9]\d{9}(?![0-9A-Za-z])")


class LeakError(AssertionError):
    """Personal data reached an institution without the identity scope."""


@dataclass
class LeakGuard:
    """Inspects responses; counts what it checked so a test can prove it is switched on."""

    runtime: Runtime
    institution_responses: int = 0
    _institution_of: dict[str, int | None] = field(default_factory=dict)

    async def _institution(self, token: str) -> int | None:
        if token not in self._institution_of:
            async with self.runtime.sessionmaker() as session:
                principal = await identity.authenticate(session=session, token=token)
                account = principal.account if principal else None
                is_institution = account is not None and account.role == Role.INSTITUTION.value
                self._institution_of[token] = account.institution_id if is_institution else None
        return self._institution_of[token]

    async def _identity_granted(self, institution_id: int, id_number: str) -> bool:
        keyring = self.runtime.keyring
        async with self.runtime.sessionmaker() as session:
            enterprises = (
                await session.execute(
                    select(Enterprise.id).where(
                        Enterprise.legal_rep_id_hash.in_(keyring.lookup_hashes(id_number.upper()))
                    )
                )
            ).scalars()
            for enterprise_id in enterprises:
                grants = await consent.live_grants(
                    session, enterprise_id=enterprise_id, institution_id=institution_id
                )
                if consent.identity_grants(grants):
                    return True
        return False

    async def inspect(self, token: str | None, text: str) -> None:
        """Fail when ``text``, sent to ``token``'s holder, leaks personal data to an institution."""
        if not token:
            return
        institution_id = await self._institution(token)
        if institution_id is None:
            return
        self.institution_responses += 1
        for phone in MOBILE.findall(text):
            raise LeakError(
                f"a full mobile number {phone[:3]}…  reached institution {institution_id}"
            )
        for candidate in ID_NUMBER.findall(text):
            if not is_valid_id_number(candidate):
                continue
            if not await self._identity_granted(institution_id, candidate):
                raise LeakError(
                    f"a full ID number {candidate[:6]}… reached institution {institution_id} "
                    "without a live legal_rep_identity grant"
                )
