"""The world the access matrix runs in: eight principals and fresh objects to act on.

Principals: anonymous; the users of enterprises A and B; staff of institution X (the demo bank,
holding A's grant); institution Y's API token after Y was suspended; a government officer; a data
provider (市场监管); an auditor. Factories make a fresh object for each attempt that changes
something (a grant to revoke, an objection to forward …), so one role's attempt never decides
another's.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import select, update

from backend.clock import china_today
from backend.credit.models import CreditRecord, DataProvider
from backend.db.base import utcnow
from backend.identity.models import Account
from backend.inbox import service as inbox
from backend.institutions.models import ApiToken, Institution
from backend.lending.models import FinancingDemand, RiskAlert
from backend.policies.models import Policy, PolicyPushJob
from backend.runtime import Runtime
from backend.security.tokens import API_TOKEN_PREFIX, new_token
from tests.support.builders import (
    AUDITOR_PHONE,
    BANK_PHONE,
    DEMO_ENTERPRISES,
    DEMO_PASSWORD,
    GOOD_PASSWORD,
    GOVERNMENT_PHONE,
    PROVIDER_PHONE,
    api_token_for,
    grant,
    ingest,
    institution_user,
    load_demo,
    login,
    new_uscc,
    penalty,
    register,
)
from tests.support.fake_provider import FakeProvider
from tests.support.graphql import GraphQLClient
from tests.support.lending_flow import DISBURSE, apply, approve
from tests.support.lending_products import PUBLISH_PRODUCT, product_input

ANONYMOUS = "anonymous"
ENTERPRISE_A = "enterprise_a"
ENTERPRISE_B = "enterprise_b"
INSTITUTION_X = "institution_x"
INSTITUTION_Y_SUSPENDED = "institution_y_suspended"
GOVERNMENT = "government"
DATA_PROVIDER = "data_provider"
AUDITOR = "auditor"
ROLES = (
    ANONYMOUS,
    ENTERPRISE_A,
    ENTERPRISE_B,
    INSTITUTION_X,
    INSTITUTION_Y_SUSPENDED,
    GOVERNMENT,
    DATA_PROVIDER,
    AUDITOR,
)
CREDIT_OFFICE_PHONE = "13600000002"  # sends penalties; a helper here, not a principal
FIRM_A, FIRM_B = DEMO_ENTERPRISES[0], DEMO_ENTERPRISES[1]
# Every firm of Shandong qualifies (firms A and B are in Linyi).
OPEN_RULE = {"all": [{"fact": "region_code", "op": "within_region", "value": "37"}]}

OBJECTION = """
mutation($input: FileObjectionInput!) { fileObjection(input: $input) {
  objection { id } errors { code message } } }
"""
DECLARE = """
mutation($input: SubmitDeclarationInput!) { submitDeclaration(input: $input) {
  declaration { id } errors { code message } } }
"""
REPAIR = """
mutation($input: RequestCreditRepairInput!) { requestCreditRepair(input: $input) {
  repairRequest { id } errors { code message } } }
"""
SET_STATUS = """
mutation($input: SetInstitutionStatusInput!) { setInstitutionStatus(input: $input) {
  institution { status } errors { code message } } }
"""


def _ok(payload: dict[str, Any], key: str) -> str:
    assert payload["errors"] == [], payload["errors"]
    return str(payload[key]["id"])


@dataclass
class World:
    """Principals, their tokens and factories of fresh objects."""

    client: GraphQLClient
    runtime: Runtime
    fake: FakeProvider
    tokens: dict[str, str | None] = field(default_factory=dict)
    phones: dict[str, str] = field(default_factory=dict)
    bank_id: int = 0
    bank_account_id: int = 0
    firm_a_id: int = 0
    credit_office: str = ""
    _serial: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def token(self, role: str) -> str | None:
        """The standing token of ``role`` (None for anonymous)."""
        return self.tokens.get(role)

    async def fresh_token(self, role: str) -> str | None:
        """A new session of ``role`` (for sign-out); roles that cannot sign in keep theirs."""
        phone = self.phones.get(role)
        if phone is None:
            return self.token(role)
        password = GOOD_PASSWORD if role in (ENTERPRISE_A, ENTERPRISE_B) else DEMO_PASSWORD
        return await login(self.client, phone, password)

    def serial(self) -> int:
        """A number unique within the run."""
        return next(self._serial)

    async def penalty_record_id(self) -> str:
        """A fresh minor penalty of enterprise A (repairable at once), as a record id."""
        doc = f"临罚字〔2026〕{self.serial()}号"
        record = penalty(
            doc, uscc=FIRM_A.uscc, decided="2026-10-08", until="2027-10-08", severity="minor"
        )
        record["name"] = FIRM_A.name
        payload = await ingest(self.client, self.credit_office, "admin_penalty", [record])
        assert payload["errors"] == [] and payload["rowErrors"] == [], payload
        async with self.runtime.sessionmaker() as session:
            records = (
                await session.execute(
                    select(CreditRecord.id, CreditRecord.fields).where(
                        CreditRecord.category == "admin_penalty",
                        CreditRecord.enterprise_id == self.firm_a_id,
                    )
                )
            ).all()
        return next(str(rid) for rid, fields in records if fields.get("doc_number") == doc)

    async def objection_id(self) -> str:
        """A fresh objection filed by A."""
        result = await self.client.execute(
            OBJECTION,
            {
                "input": {
                    "recordId": await self.penalty_record_id(),
                    "reason": "处罚对象有误，本企业未发生该违法行为",
                }
            },
            token=self.token(ENTERPRISE_A),
        )
        return _ok(result.data["fileObjection"], "objection")

    async def declaration_id(self) -> str:
        """A fresh declaration submitted by A."""
        result = await self.client.execute(
            DECLARE,
            {
                "input": {
                    "category": "operations",
                    "content": {"year": 2025, "employees": 40 + self.serial()},
                    "acceptCommitment": True,
                }
            },
            token=self.token(ENTERPRISE_A),
        )
        return _ok(result.data["submitDeclaration"], "declaration")

    async def repair_id(self) -> str:
        """A fresh repair request by A."""
        result = await self.client.execute(
            REPAIR,
            {
                "input": {
                    "recordId": await self.penalty_record_id(),
                    "reason": "已全额缴纳罚款并完成整改，特申请信用修复",
                    "acceptCommitment": True,
                }
            },
            token=self.token(ENTERPRISE_A),
        )
        return _ok(result.data["requestCreditRepair"], "repairRequest")

    async def grant_id(self) -> str:
        """A fresh grant from A to X."""
        token = self.token(ENTERPRISE_A)
        assert token is not None
        return str((await grant(self.client, token, self.bank_id, ["tax"]))["id"])

    async def message_id(self) -> str:
        """A fresh inbox message of A."""
        async with self.runtime.sessionmaker() as session:
            message = await inbox.deliver(
                session,
                enterprise_id=self.firm_a_id,
                kind="SYSTEM",
                title="测试消息",
                body=f"第 {self.serial()} 条",
            )
            await session.commit()
            return str(message.id)

    async def institution_id(self) -> str:
        """A fresh active institution."""
        async with self.runtime.sessionmaker() as session:
            institution = Institution(
                name=f"矩阵银行{self.serial()}", uscc=new_uscc(), kind="BANK", region_codes=["37"]
            )
            session.add(institution)
            await session.commit()
            return str(institution.id)

    async def bank_api_token_id(self) -> str:
        """A fresh API token of X's staff member."""
        _token, token_hash = new_token(API_TOKEN_PREFIX)
        async with self.runtime.sessionmaker() as session:
            row = ApiToken(
                institution_id=self.bank_id,
                account_id=self.bank_account_id,
                name=f"矩阵令牌{self.serial()}",
                scopes=["REPORTS"],
                token_hash=token_hash,
                token_hint=_token[4:12],
                expires_at=utcnow() + timedelta(days=1),
            )
            session.add(row)
            await session.commit()
            return str(row.id)

    async def product_id(self) -> str:
        """A fresh ACTIVE product of X any firm may apply to without a new grant."""
        result = await self.client.execute(
            PUBLISH_PRODUCT,
            {
                "input": product_input(
                    name=f"矩阵贷{self.serial()}",
                    requiredScopes=[],
                    regionCodes=[],
                    eligibility=OPEN_RULE,
                    code=None,
                )
            },
            token=self.token(INSTITUTION_X),
        )
        return _ok(result.data["publishLoanProduct"], "product")

    async def demand_id(self) -> str:
        """A fresh open demand of A (written directly: the matrix needs more than a firm may
        keep open at once)."""
        async with self.runtime.sessionmaker() as session:
            demand = FinancingDemand(
                enterprise_id=self.firm_a_id,
                amount=Decimal("500000"),
                term_months=12,
                purpose=f"采购原材料（矩阵 {self.serial()}）",
            )
            session.add(demand)
            await session.commit()
            return str(demand.id)

    async def application_id(self) -> str:
        """A fresh SUBMITTED application of A to a product of X."""
        token = self.token(ENTERPRISE_A)
        assert token is not None
        payload = await apply(self.client, token, await self.product_id())
        return _ok(payload, "application")

    async def approved_application_id(self) -> str:
        """A fresh application of A that X approved."""
        application_id = await self.application_id()
        token = self.token(INSTITUTION_X)
        assert token is not None
        payload = await approve(self.client, token, application_id, amount="200000")
        return _ok(payload, "application")

    async def loan_id(self) -> str:
        """A fresh loan of X to A."""
        result = await self.client.execute(
            DISBURSE,
            {
                "input": {
                    "applicationId": await self.approved_application_id(),
                    "amount": "200000",
                    "disbursedOn": china_today().isoformat(),
                    "isCreditLoan": True,
                }
            },
            token=self.token(INSTITUTION_X),
        )
        return _ok(result.data["recordDisbursement"], "loan")

    async def risk_alert_id(self) -> str:
        """A fresh risk alert of X about its loan to A."""
        loan_id = int(await self.loan_id())
        serial = self.serial()
        async with self.runtime.sessionmaker() as session:
            alert = RiskAlert(
                institution_id=self.bank_id,
                enterprise_id=self.firm_a_id,
                loan_id=loan_id,
                kind="ADMIN_PENALTY",
                severity="MEDIUM",
                message=f"{FIRM_A.name}新增行政处罚 1 条（矩阵 {serial}）",
                dedupe_key=f"matrix:{serial}",
            )
            session.add(alert)
            await session.commit()
            return str(alert.id)

    async def policy_id(self) -> str:
        """A fresh ACTIVE policy for Linyi firms (never pushed)."""
        serial = self.serial()
        today = china_today()
        async with self.runtime.sessionmaker() as session:
            policy = Policy(
                title=f"矩阵测试贷款贴息政策{serial}",
                policy_type="INTEREST_SUBSIDY",
                issuer="临沂市财政局",
                summary="对符合条件的小微企业贷款给予贴息。",
                body="一、支持对象：临沂市小微企业。二、标准：贴息 50%。",
                eligibility={"fact": "region_code", "op": "within_region", "value": "3713"},
                region_codes=["3713"],
                valid_from=today,
                valid_until=today + timedelta(days=365),
            )
            session.add(policy)
            await session.commit()
            return str(policy.id)

    async def push_job_id(self) -> str:
        """A finished push job of a fresh policy."""
        policy_id = int(await self.policy_id())
        async with self.runtime.sessionmaker() as session:
            job = PolicyPushJob(policy_id=policy_id, status="DONE", chunk_size=1000)
            session.add(job)
            await session.commit()
            return str(job.id)


async def build_world(client: GraphQLClient, runtime: Runtime, fake: FakeProvider) -> World:
    """Demo data, the eight principals, A's grant to X, and a water interface served by ``fake``."""
    await load_demo(runtime)
    world = World(client, runtime, fake)
    phone_a, phone_b = "18700000001", "18700000002"
    await register(client, phone=phone_a)
    await register(client, phone=phone_b)
    world.tokens[ENTERPRISE_A] = await verified_enterprise_user_with_phone(client, phone_a, FIRM_A)
    world.tokens[ENTERPRISE_B] = await verified_enterprise_user_with_phone(client, phone_b, FIRM_B)
    world.phones.update(
        {
            ENTERPRISE_A: phone_a,
            ENTERPRISE_B: phone_b,
            INSTITUTION_X: BANK_PHONE,
            GOVERNMENT: GOVERNMENT_PHONE,
            DATA_PROVIDER: PROVIDER_PHONE,
            AUDITOR: AUDITOR_PHONE,
        }
    )
    for role in (INSTITUTION_X, GOVERNMENT, DATA_PROVIDER, AUDITOR):
        world.tokens[role] = await login(client, world.phones[role])
    world.tokens[ANONYMOUS] = None
    world.credit_office = await login(client, CREDIT_OFFICE_PHONE)
    async with runtime.sessionmaker() as session:
        bank = (
            await session.execute(select(Account).where(Account.phone == BANK_PHONE))
        ).scalar_one()
        firm_a = (
            await session.execute(select(Account).where(Account.phone == phone_a))
        ).scalar_one()
        world.bank_id, world.bank_account_id = bank.institution_id or 0, bank.id
        world.firm_a_id = firm_a.enterprise_id or 0
        await session.execute(
            update(DataProvider)
            .where(DataProvider.code == "water")
            .values(interface={"base_url": fake.base_url, "timeout_s": 1, "retries": 0})
        )
        await session.commit()
    fake.records[("water_fee", FIRM_A.uscc)] = [
        {
            "uscc": FIRM_A.uscc,
            "name": FIRM_A.name,
            "account_no": "W-A",
            "month": "2026-10",
            "amount_paid": "320",
            "usage": "40",
            "in_arrears": False,
        }
    ]
    token_a = world.token(ENTERPRISE_A)
    assert token_a is not None
    await grant(client, token_a, world.bank_id, ["tax", "water_fee", "legal_rep_identity"])

    # Y: an institution whose system holds an API token, then suspended by the government.
    y = await institution_user(client, runtime, name="暂停测试银行")
    world.tokens[INSTITUTION_Y_SUSPENDED] = await api_token_for(runtime, y, ["REPORTS"])
    await grant(client, token_a, y.institution_id, ["tax"])
    suspended = await client.execute(
        SET_STATUS,
        {
            "input": {
                "institutionId": str(y.institution_id),
                "status": "SUSPENDED",
                "reason": "安全检查发现问题，暂停接入",
            }
        },
        token=world.token(GOVERNMENT),
    )
    assert suspended.data["setInstitutionStatus"]["errors"] == [], suspended.data
    return world


async def verified_enterprise_user_with_phone(
    client: GraphQLClient, phone: str, enterprise: Any
) -> str:
    """Sign in as the account of ``phone`` and verify it as ``enterprise``; returns the token."""
    from tests.support.builders import VERIFY, verify_input

    token = await login(client, phone, GOOD_PASSWORD)
    result = await client.execute(VERIFY, verify_input(enterprise), token=token)
    assert result.data["verifyEnterprise"]["errors"] == [], result.data
    return token
