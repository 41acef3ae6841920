"""The suite-wide leak guard itself: it fires on a full ID or mobile number sent to an
institution, and lets the identity scope's ID number through only while the grant is live."""

from __future__ import annotations

import pytest
from sqlalchemy import update

from backend.consent.models import Authorization
from backend.db.base import utcnow
from tests.support.builders import (
    DEMO_ENTERPRISES,
    demo_bank,
    grant,
    load_demo,
    verified_enterprise_user,
)
from tests.support.leak_guard import LeakError

FIRM = DEMO_ENTERPRISES[0]


async def test_the_guard_stops_personal_data_reaching_an_institution(client, runtime, leak_guard):
    await load_demo(runtime)
    bank = await demo_bank(client, runtime)
    firm = await verified_enterprise_user(client)

    # an enterprise may see its own numbers; the guard only watches institutions
    await leak_guard.inspect(firm, f'{{"id": "{FIRM.id_number}", "phone": "13800000001"}}')
    # masked numbers and other long digit strings pass
    await leak_guard.inspect(
        bank.token, '{"id": "371302********1239", "n": "12345678901234567890"}'
    )
    with pytest.raises(LeakError):
        await leak_guard.inspect(bank.token, '{"phone": "13800000001"}')
    with pytest.raises(LeakError):
        await leak_guard.inspect(bank.token, f'{{"legalRepIdNumber": "{FIRM.id_number}"}}')

    # with the identity scope granted the number may pass, until the grant ends
    await grant(client, firm, bank.institution_id, ["legal_rep_identity"])
    await leak_guard.inspect(bank.token, f'{{"legalRepIdNumber": "{FIRM.id_number}"}}')
    async with runtime.sessionmaker() as session:
        await session.execute(update(Authorization).values(revoked_at=utcnow()))
        await session.commit()
    with pytest.raises(LeakError):
        await leak_guard.inspect(bank.token, f'{{"legalRepIdNumber": "{FIRM.id_number}"}}')
