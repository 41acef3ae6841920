"""Async builders for test data, and the demo data of CONTRACT.md."""

from __future__ import annotations

import itertools
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import exists, or_, select

from backend.db.registry import Base
from backend.runtime import Runtime
from backend.seed import seed
from tests.support import databases
from tests.support.graphql import GraphQLClient

DEMO_DIR = Path(__file__).resolve().parents[2] / "seed_products" / "demo"
DEMO_ACCOUNTS = len(json.loads((DEMO_DIR / "accounts.json").read_text("utf-8"))["accounts"])
DEMO_BATCHES = len(list(DEMO_DIR.glob("*.jsonl")))
DEMO_PASSWORD = "Demo#2026"
BANK_PHONE = "13900000001"
GOVERNMENT_PHONE = "13700000001"
PROVIDER_PHONE = "13600000001"
AUDITOR_PHONE = "13500000001"
GOOD_PASSWORD = "Xinrong#2026a"


@dataclass(frozen=True)
class DemoEnterprise:
    """A demo registration record's identifying facts."""

    uscc: str
    name: str
    legal_rep_name: str
    id_number: str


DEMO_ENTERPRISES = [
    DemoEnterprise(
        "91371302MA3CDXY10K", "临沂沂蒙顺达物流有限公司", "王建国", "371302198001011239"
    ),
    DemoEnterprise("92371311MA3DXY201A", "罗庄区李记五金店", "李秀英", "371311198503150024"),
    DemoEnterprise(
        "93640100MA7DXY302U", "银川塞上枸杞种植专业合作社", "马志强", "640102199006200037"
    ),
    DemoEnterprise(
        "91320505MA1DXY4036", "苏州智芯微电子科技有限公司", "陈立", "320505197812120047"
    ),
]

_phones = itertools.count(1)

REGISTER = """
mutation Register($input: RegisterAccountInput!) {
  registerAccount(input: $input) {
    token
    account { id role phoneMasked displayName }
    errors { code field message }
  }
}
"""

LOGIN = """
mutation Login($input: LoginInput!) {
  login(input: $input) {
    token
    account { id role }
    errors { code field message }
  }
}
"""

VERIFY = """
mutation Verify($input: VerifyEnterpriseInput!) {
  verifyEnterprise(input: $input) {
    enterprise { id uscc name entityType regionCode regionName legalRepIdNumberMasked }
    errors { code field message }
  }
}
"""


def new_phone() -> str:
    """A fresh, valid mobile number for this test session."""
    return f"188{next(_phones):08d}"


async def _seed_demo(runtime: Runtime) -> None:
    await seed(runtime, demo=True)


# What a migrated database holds before anyone uses it.
_MIGRATION_ROWS = {"audit_chain_head"}


async def _is_empty(runtime: Runtime) -> bool:
    """Whether the database is as migrated: no row in any table but the migration's own."""
    tables = [t for t in Base.metadata.sorted_tables if t.name not in _MIGRATION_ROWS]
    async with runtime.sessionmaker() as session:
        used = await session.scalar(select(or_(*(exists().select_from(t) for t in tables))))
    return not used


async def load_demo(runtime: Runtime) -> None:
    """Seed the reference and demo data exactly as ``make run`` does.

    A still-empty test database is swapped for a copy of a demo template seeded once per run
    (the same seeding, done once); anything else is seeded in place.
    """
    if await _is_empty(runtime) and await databases.load_demo_copy(runtime, _seed_demo):
        return
    await _seed_demo(runtime)


async def register(
    client: GraphQLClient, *, phone: str | None = None, password: str = GOOD_PASSWORD
) -> str:
    """Register a new enterprise account; returns its token."""
    result = await client.execute(
        REGISTER,
        {"input": {"phone": phone or new_phone(), "password": password, "displayName": "测试用户"}},
    )
    payload = result.data["registerAccount"]
    assert payload["errors"] == [], payload["errors"]
    return payload["token"]


async def login(client: GraphQLClient, phone: str, password: str = DEMO_PASSWORD) -> str:
    """Sign in; returns the token."""
    result = await client.execute(LOGIN, {"input": {"phone": phone, "password": password}})
    payload = result.data["login"]
    assert payload["errors"] == [], payload["errors"]
    return payload["token"]


def verify_input(enterprise: DemoEnterprise, **overrides: str) -> dict[str, dict[str, str]]:
    """The verifyEnterprise input for ``enterprise`` with some fields replaced."""
    values = {
        "uscc": enterprise.uscc,
        "name": enterprise.name,
        "legalRepName": enterprise.legal_rep_name,
        "legalRepIdNumber": enterprise.id_number,
    }
    values.update(overrides)
    return {"input": values}


async def verified_enterprise_user(
    client: GraphQLClient, enterprise: DemoEnterprise = DEMO_ENTERPRISES[0]
) -> str:
    """A new account verified as ``enterprise`` (demo data must be loaded); returns its token."""
    token = await register(client)
    result = await client.execute(VERIFY, verify_input(enterprise), token=token)
    assert result.data["verifyEnterprise"]["errors"] == [], result.data
    return token


INGEST = """
mutation Ingest($input: IngestCreditRecordsInput!) {
  ingestCreditRecords(input: $input) {
    batch { id batchId category status accepted rejected withdrawn allOrNothing replayed }
    rowErrors { index withdrawal code field message }
    errors { code field message }
  }
}
"""


async def provider_token(
    client: GraphQLClient, runtime: Runtime, *, code: str, categories: list[str]
) -> str:
    """A data-provider account for a new provider allowed ``categories``; returns its token."""
    from backend.credit.models import DataProvider
    from backend.identity import service as identity
    from backend.identity.models import Role
    from backend.security.actor import Actor

    phone = new_phone()
    async with runtime.sessionmaker() as session:
        provider = DataProvider(code=code, name=f"测试数据提供方 {code}", categories=categories)
        session.add(provider)
        await session.flush()
        await identity.create_staff_account(
            session=session,
            runtime=runtime,
            actor=Actor.system(),
            phone=phone,
            password=GOOD_PASSWORD,
            display_name="数据报送",
            role=Role.DATA_PROVIDER,
            data_provider_id=provider.id,
        )
        await session.commit()
    return await login(client, phone, GOOD_PASSWORD)


async def ingest(
    client: GraphQLClient,
    token: str,
    category: str,
    records: list,
    *,
    batch_id: str | None = None,
    withdrawals: list | None = None,
    all_or_nothing: bool = False,
) -> dict:
    """Send one batch; returns the ingestCreditRecords payload."""
    variables = {
        "input": {
            "batchId": batch_id or f"b-{new_phone()}",
            "category": category,
            "records": records,
            "withdrawals": withdrawals,
            "allOrNothing": all_or_nothing,
        }
    }
    result = await client.execute(INGEST, variables, token=token)
    return result.data["ingestCreditRecords"]


async def registered_enterprise(
    client: GraphQLClient, runtime: Runtime, *, uscc: str, name: str, id_number: str
) -> str:
    """Register an enterprise through the registration provider and verify a new account for
    it; returns that account's token."""
    samr = await provider_token(client, runtime, code=f"samr-{uscc}", categories=["registration"])
    payload = await ingest(
        client,
        samr,
        "registration",
        [
            {
                "uscc": uscc,
                "name": name,
                "legal_rep_name": "赵六",
                "legal_rep_id_number": id_number,
                "established_on": "2015-06-01",
                "industry_code": "C39",
            }
        ],
    )
    assert payload["errors"] == [] and payload["rowErrors"] == [], payload
    token = await register(client)
    result = await client.execute(
        VERIFY,
        {
            "input": {
                "uscc": uscc,
                "name": name,
                "legalRepName": "赵六",
                "legalRepIdNumber": id_number,
            }
        },
        token=token,
    )
    assert result.data["verifyEnterprise"]["errors"] == [], result.data
    return token


async def staff_token(client: GraphQLClient, runtime: Runtime, role: Any = None) -> str:
    """A new staff account of ``role`` (default GOVERNMENT; no institution needed) signed in;
    returns its token."""
    from backend.identity import service as identity
    from backend.identity.models import Role
    from backend.security.actor import Actor

    role = role or Role.GOVERNMENT
    phone = new_phone()
    async with runtime.sessionmaker() as session:
        await identity.create_staff_account(
            session=session,
            runtime=runtime,
            actor=Actor.system(),
            phone=phone,
            password=GOOD_PASSWORD,
            display_name="信用办工作人员",
            role=role,
        )
        await session.commit()
    return await login(client, phone, GOOD_PASSWORD)


PENALIZED_USCC = "91440300708461136T"  # 深圳示例科技有限公司, registered by registered_enterprise


def penalty(
    doc: str,
    *,
    uscc: str = PENALIZED_USCC,
    decided: str = "2025-06-01",
    until: str = "2027-06-01",
    severity: str = "general",
) -> dict:
    """An administrative penalty as the credit office sends it."""
    return {
        "uscc": uscc,
        "name": "深圳示例科技有限公司",
        "doc_number": doc,
        "violation_type": "环境违法",
        "content": "罚款",
        "fine_amount": "5000",
        "decided_on": decided,
        "publicity_until": until,
        "severity": severity,
        "authority_name": "深圳市生态环境局",
    }


_usccs = itertools.count(1)


def new_uscc(region: str = "371300") -> str:
    """A fresh valid enterprise USCC registered in ``region``."""
    from backend.identity.uscc import uscc_check_character

    first17 = f"91{region}MA{next(_usccs):07d}"
    return first17 + uscc_check_character(first17)


@dataclass(frozen=True)
class InstitutionUser:
    """An institution and a signed-in staff member of it."""

    institution_id: int
    account_id: int
    token: str


async def institution_user(
    client: GraphQLClient, runtime: Runtime, *, name: str = "测试银行", kind: str = "BANK"
) -> InstitutionUser:
    """A new active institution with one staff account, signed in."""
    from backend.identity import service as identity
    from backend.identity.models import Role
    from backend.institutions.models import Institution
    from backend.security.actor import Actor

    phone = new_phone()
    async with runtime.sessionmaker() as session:
        institution = Institution(name=name, uscc=new_uscc(), kind=kind, region_codes=["3713"])
        session.add(institution)
        await session.flush()
        account = await identity.create_staff_account(
            session=session,
            runtime=runtime,
            actor=Actor.system(),
            phone=phone,
            password=GOOD_PASSWORD,
            display_name=f"{name}信贷员",
            role=Role.INSTITUTION,
            institution_id=institution.id,
        )
        await session.commit()
        ids = (institution.id, account.id)
    return InstitutionUser(ids[0], ids[1], await login(client, phone, GOOD_PASSWORD))


async def demo_bank(client: GraphQLClient, runtime: Runtime) -> InstitutionUser:
    """The demo bank (临沂示范银行) and its demo staff member, signed in."""
    from sqlalchemy import select

    from backend.identity.models import Account

    async with runtime.sessionmaker() as session:
        account = (
            await session.execute(select(Account).where(Account.phone == BANK_PHONE))
        ).scalar_one()
    assert account.institution_id is not None
    return InstitutionUser(account.institution_id, account.id, await login(client, BANK_PHONE))


async def api_token_for(
    runtime: Runtime, user: InstitutionUser, scopes: list[str], *, days: int = 30
) -> str:
    """An API token (``xra_…``) acting as ``user``'s account with ``scopes``."""
    from datetime import timedelta

    from backend.db.base import utcnow
    from backend.institutions.models import ApiToken
    from backend.security.tokens import API_TOKEN_PREFIX, new_token

    token, token_hash = new_token(API_TOKEN_PREFIX)
    async with runtime.sessionmaker() as session:
        session.add(
            ApiToken(
                institution_id=user.institution_id,
                account_id=user.account_id,
                name="核心系统",
                scopes=scopes,
                token_hash=token_hash,
                token_hint=token[4:12],
                expires_at=utcnow() + timedelta(days=days),
            )
        )
        await session.commit()
    return token


GRANT = """
mutation Grant($input: GrantAuthorizationInput!) {
  grantAuthorization(input: $input) {
    authorization { id scopes purpose validUntil status consentVersion consentText institutionName }
    errors { code field message }
  }
}
"""


async def grant(
    client: GraphQLClient,
    token: str,
    institution_id: int,
    scopes: list[str],
    *,
    purpose: str = "PRE_LOAN",
    valid_days: int = 30,
) -> dict[str, Any]:
    """Grant an authorisation as the enterprise of ``token``; returns the authorisation."""
    result = await client.execute(
        GRANT,
        {
            "input": {
                "institutionId": str(institution_id),
                "scopes": scopes,
                "purpose": purpose,
                "validDays": valid_days,
            }
        },
        token=token,
    )
    payload = result.data["grantAuthorization"]
    assert payload["errors"] == [], payload["errors"]
    return payload["authorization"]
