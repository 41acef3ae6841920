"""Async builders for test data, and the demo data of CONTRACT.md."""

from __future__ import annotations

import itertools
from dataclasses import dataclass

from backend.runtime import Runtime
from backend.seed import seed
from tests.support.graphql import GraphQLClient

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


async def load_demo(runtime: Runtime) -> None:
    """Seed the reference and demo data exactly as ``make run`` does."""
    await seed(runtime, demo=True)


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
