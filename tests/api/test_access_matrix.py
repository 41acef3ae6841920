"""The access matrix: every role tries every GraphQL operation, and exactly the listed roles may.

The table below names, for each root Query and Mutation field, who may use it. A test fails
when the schema has an operation the table does not list (add it, with who may), and the matrix
test fails on any cell where the outcome differs: a role that may gets a clean answer, a role that
may not gets NOT_AUTHENTICATED, FORBIDDEN, NOT_AUTHORIZED or (for another's object) NOT_FOUND.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest

from backend.app import create_app
from backend.clock import china_today
from backend.settings import Settings
from graphql_schema.schema import build_schema
from tests.api.access_matrix_world import (
    AUDITOR,
    DATA_PROVIDER,
    ENTERPRISE_A,
    ENTERPRISE_B,
    FIRM_A,
    GOVERNMENT,
    INSTITUTION_X,
    ROLES,
    World,
    build_world,
)
from tests.support.builders import GOOD_PASSWORD, new_phone, new_uscc
from tests.support.fake_provider import serve_fake_provider
from tests.support.graphql import GraphQLClient, GraphQLResult
from tests.support.lending_products import product_input

EVERYONE = frozenset(ROLES)
SIGNED_IN = frozenset(
    {ENTERPRISE_A, ENTERPRISE_B, INSTITUTION_X, GOVERNMENT, DATA_PROVIDER, AUDITOR}
)
ENTERPRISES = frozenset({ENTERPRISE_A, ENTERPRISE_B})
ONLY_A = frozenset({ENTERPRISE_A})
ONLY_X = frozenset({INSTITUTION_X})
ONLY_GOVERNMENT = frozenset({GOVERNMENT})
DENIALS = frozenset({"NOT_AUTHENTICATED", "FORBIDDEN", "NOT_AUTHORIZED", "NOT_FOUND"})

Variables = Callable[[World, str], Awaitable[dict[str, Any]]]


def fixed(values: dict[str, Any] | None = None) -> Variables:
    """The same variables for every role."""

    async def build(_world: World, _role: str) -> dict[str, Any]:
        return dict(values or {})

    return build


@dataclass(frozen=True)
class Operation:
    """One root field: a document, its variables per attempt, and who may."""

    name: str
    document: str
    allowed: frozenset[str]
    variables: Variables | None = None
    fresh_token: bool = False  # the attempt ends the session (logout)
    tolerate: frozenset[str] = frozenset()  # business refusals that still mean "may call"


def _input(values: dict[str, Any]) -> Variables:
    return fixed({"input": values})


def _with(make: Callable[[World], Awaitable[str]], shape: Callable[[str], dict[str, Any]]):
    async def build(world: World, _role: str) -> dict[str, Any]:
        return shape(await make(world))

    return build


async def _register(_world: World, _role: str) -> dict[str, Any]:
    return {"input": {"phone": new_phone(), "password": GOOD_PASSWORD, "displayName": "矩阵"}}


async def _staff(_world: World, _role: str) -> dict[str, Any]:
    return {
        "input": {
            "phone": new_phone(),
            "password": GOOD_PASSWORD,
            "displayName": "矩阵审计员",
            "role": "AUDITOR",
        }
    }


async def _onboard(_world: World, _role: str) -> dict[str, Any]:
    return {
        "input": {
            "name": "矩阵村镇银行",
            "uscc": new_uscc(),
            "kind": "BANK",
            "regionCodes": ["371300"],
            "securityAssessment": {
                "reportNumber": "AQ-2026-001",
                "assessedOn": "2026-11-01",
                "assessor": "省信用中心",
                "passed": True,
            },
        }
    }


async def _api_token(world: World, _role: str) -> dict[str, Any]:
    return {
        "input": {
            "institutionId": str(world.bank_id),
            "accountId": str(world.bank_account_id),
            "name": "信贷系统",
            "scopes": ["REPORTS"],
            "validDays": 30,
        }
    }


async def _ingest(world: World, _role: str) -> dict[str, Any]:
    serial = world.serial()
    return {
        "input": {
            "batchId": f"matrix-{serial}",
            "category": "abnormal_operation",
            "records": [
                {
                    "uscc": FIRM_A.uscc,
                    "name": FIRM_A.name,
                    "listed_on": "2026-03-01",
                    "reason": f"通过登记的住所无法联系（{serial}）",
                    "authority_name": "临沂市市场监督管理局",
                    "removed_on": "2026-06-01",
                }
            ],
        }
    }


async def _bank(world: World, _role: str) -> dict[str, Any]:
    return {"id": str(world.bank_id)}


async def _offer(world: World, _role: str) -> dict[str, Any]:
    demand_id, product_id = await world.demand_id(), await world.product_id()
    return {"input": {"demandId": demand_id, "productId": product_id, "message": "欢迎申请"}}


async def _product_input(world: World, _role: str) -> dict[str, Any]:
    return {"input": product_input(name=f"矩阵发布贷{world.serial()}", code=None)}


async def _policy_input(world: World, _role: str) -> dict[str, Any]:
    return {
        "input": {
            "title": f"矩阵测试首贷奖励{world.serial()}",
            "policyType": "FIRST_LOAN_REWARD",
            "issuer": "临沂市地方金融监督管理局",
            "summary": "对首次获得贷款的小微企业给予奖励。",
            "body": "一、奖励对象：临沂市小微企业。二、标准：首贷金额的 1%。",
            "eligibility": {"fact": "region_code", "op": "within_region", "value": "3713"},
            "validUntil": (china_today() + timedelta(days=30)).isoformat(),
        }
    }


GRANT_INPUT = {"scopes": ["water_fee"], "purpose": "PRE_LOAN", "validDays": 30}


async def _grant(world: World, _role: str) -> dict[str, Any]:
    return {"input": {"institutionId": str(world.bank_id), **GRANT_INPUT}}


ERR = "errors { code }"  # every payload lists its errors
OPERATIONS: list[Operation] = [
    # --- public --------------------------------------------------------------------------
    Operation(
        "validateUscc", f'query {{ validateUscc(code: "{FIRM_A.uscc}") {{ valid }} }}', EVERYONE
    ),
    Operation("passwordRule", "query { passwordRule }", EVERYONE),
    Operation("institutions", "query { institutions { id name } }", EVERYONE),
    Operation("sharingList", "query { sharingList { version } }", EVERYONE),
    Operation(
        "commitmentText", 'query { commitmentText(kind: "declaration") { version } }', EVERYONE
    ),
    Operation("declarationCategories", "query { declarationCategories { code } }", EVERYONE),
    Operation("grantableScopes", "query { grantableScopes { code } }", EVERYONE),
    Operation("policies", "query { policies(first: 5) { items { id } } }", EVERYONE),
    Operation(
        "policy",
        "query($id: ID!) { policy(id: $id) { id } }",
        EVERYONE,
        _with(World.policy_id, lambda i: {"id": i}),
    ),
    Operation("factsCatalog", "query { factsCatalog { version } }", EVERYONE),
    Operation(
        "validateRule",
        'query { validateRule(rule: {fact: "employees", op: "gte", value: 5}) { valid } }',
        EVERYONE,
    ),
    Operation(
        "registerAccount",
        "mutation($input: RegisterAccountInput!) { registerAccount(input: $input) "
        f"{{ token {ERR} }} }}",
        EVERYONE,
        _register,
    ),
    Operation(
        "login",
        "mutation($input: LoginInput!) { login(input: $input) { token errors { code } } }",
        EVERYONE,
        _input({"phone": "13500000001", "password": "Demo#2026"}),
    ),
    # --- any signed-in account -----------------------------------------------------------
    Operation("me", "query { me { id role } }", SIGNED_IN),
    Operation("logout", f"mutation {{ logout {{ {ERR} }} }}", SIGNED_IN, fresh_token=True),
    # --- the enterprise's own data -------------------------------------------------------
    Operation(
        "verifyEnterprise",
        "mutation($input: VerifyEnterpriseInput!) { verifyEnterprise(input: $input) "
        f"{{ {ERR} }} }}",
        ENTERPRISES,
        _input(
            {
                "uscc": FIRM_A.uscc,
                "name": FIRM_A.name,
                "legalRepName": FIRM_A.legal_rep_name,
                "legalRepIdNumber": FIRM_A.id_number,
            }
        ),
        tolerate=frozenset({"ALREADY_VERIFIED"}),
    ),
    Operation(
        "myCreditProfile",
        "query { myCreditProfile { enterprise { uscc } evaluation { score } } }",
        ENTERPRISES,
    ),
    Operation(
        "myInterfaceRecords",
        f'query {{ myInterfaceRecords(category: "water_fee") {{ records {ERR} }} }}',
        ENTERPRISES,
    ),
    Operation(
        "verifyWithProvider",
        "mutation($input: VerifyWithProviderInput!) { verifyWithProvider(input: $input) "
        f"{{ match {ERR} }} }}",
        ENTERPRISES,
        _input({"category": "water_fee", "claim": {"in_arrears": False}}),
    ),
    Operation(
        "submitDeclaration",
        "mutation($input: SubmitDeclarationInput!) { submitDeclaration(input: $input) "
        f"{{ declaration {{ id }} {ERR} }} }}",
        ENTERPRISES,
        _input(
            {
                "category": "operations",
                "content": {"year": 2025, "employees": 12},
                "acceptCommitment": True,
            }
        ),
    ),
    Operation("myCreditCode", "query { myCreditCode { enabled url } }", ENTERPRISES),
    Operation(
        "setCreditCode",
        f"mutation($enabled: Boolean!) {{ setCreditCode(enabled: $enabled) "
        f"{{ creditCode {{ enabled url }} {ERR} }} }}",
        ENTERPRISES,
        fixed({"enabled": True}),
    ),
    Operation("myObjections", "query { myObjections { id } }", ENTERPRISES),
    Operation("myRepairRequests", "query { myRepairRequests { id } }", ENTERPRISES),
    Operation("myInbox", "query { myInbox { id } }", ENTERPRISES | ONLY_X),
    Operation("policyMatches", "query { policyMatches { status } }", ENTERPRISES),
    Operation(
        "markInboxRead",
        f"mutation($ids: [ID!]!) {{ markInboxRead(ids: $ids) {{ messages {{ id }} {ERR} }} }}",
        ONLY_A,
        _with(World.message_id, lambda i: {"ids": [i]}),
    ),
    Operation(
        "fileObjection",
        "mutation($input: FileObjectionInput!) { fileObjection(input: $input) "
        f"{{ objection {{ id }} {ERR} }} }}",
        ONLY_A,
        _with(
            World.penalty_record_id,
            lambda i: {"input": {"recordId": i, "reason": "处罚对象有误，本企业未发生该违法行为"}},
        ),
    ),
    Operation(
        "requestCreditRepair",
        "mutation($input: RequestCreditRepairInput!) { requestCreditRepair(input: $input) "
        f"{{ repairRequest {{ id }} {ERR} }} }}",
        ONLY_A,
        _with(
            World.penalty_record_id,
            lambda i: {
                "input": {
                    "recordId": i,
                    "reason": "已全额缴纳罚款并完成整改，特申请信用修复",
                    "acceptCommitment": True,
                }
            },
        ),
    ),
    # --- consent and the trail -------------------------------------------------------------
    Operation(
        "consentPreview",
        "query($input: GrantAuthorizationInput!) { consentPreview(input: $input) "
        f"{{ text {ERR} }} }}",
        ENTERPRISES,
        _grant,
    ),
    Operation(
        "grantAuthorization",
        "mutation($input: GrantAuthorizationInput!) { grantAuthorization(input: $input) "
        f"{{ authorization {{ id }} {ERR} }} }}",
        ENTERPRISES,
        _grant,
    ),
    Operation(
        "revokeAuthorization",
        f"mutation($id: ID!) {{ revokeAuthorization(id: $id) {{ authorization {{ id }} {ERR} }} }}",
        ONLY_A,
        _with(World.grant_id, lambda i: {"id": i}),
    ),
    Operation("myAuthorizations", "query { myAuthorizations { id } }", ENTERPRISES),
    Operation("myDataAccessLog", "query { myDataAccessLog { id } }", ENTERPRISES),
    Operation("receivedAuthorizations", "query { receivedAuthorizations { id } }", ONLY_X),
    # --- what institutions read --------------------------------------------------------------
    Operation(
        "enterpriseCreditReport",
        f'query {{ enterpriseCreditReport(uscc: "{FIRM_A.uscc}", purpose: PRE_LOAN) '
        f"{{ report {{ enterprise {{ legalRepIdNumber }} records {{ id }} }} {ERR} }} }}",
        ONLY_X,
    ),
    Operation(
        "enterpriseInterfaceRecords",
        f'query {{ enterpriseInterfaceRecords(uscc: "{FIRM_A.uscc}", category: "water_fee", '
        f"purpose: PRE_LOAN) {{ records {ERR} }} }}",
        ONLY_X,
    ),
    Operation(
        "publicCreditRecords",
        'query { publicCreditRecords(regionCode: "37", category: "admin_license") '
        "{ items { id } } }",
        ONLY_X,
    ),
    # --- institutions' administration ---------------------------------------------------------
    Operation(
        "managedInstitutions", "query { managedInstitutions { id status } }", ONLY_GOVERNMENT
    ),
    Operation(
        "apiTokens",
        "query($id: ID!) { apiTokens(institutionId: $id) { id } }",
        frozenset({GOVERNMENT, INSTITUTION_X}),
        _bank,
    ),
    Operation(
        "onboardInstitution",
        "mutation($input: OnboardInstitutionInput!) { onboardInstitution(input: $input) "
        f"{{ institution {{ id }} {ERR} }} }}",
        ONLY_GOVERNMENT,
        _onboard,
    ),
    Operation(
        "setInstitutionStatus",
        "mutation($input: SetInstitutionStatusInput!) { setInstitutionStatus(input: $input) "
        f"{{ institution {{ id }} {ERR} }} }}",
        ONLY_GOVERNMENT,
        _with(
            World.institution_id,
            lambda i: {
                "input": {"institutionId": i, "status": "SUSPENDED", "reason": "矩阵测试暂停"}
            },
        ),
    ),
    Operation(
        "createApiToken",
        "mutation($input: CreateApiTokenInput!) { createApiToken(input: $input) "
        f"{{ token {ERR} }} }}",
        ONLY_GOVERNMENT,
        _api_token,
    ),
    Operation(
        "revokeApiToken",
        f"mutation($id: ID!) {{ revokeApiToken(id: $id) {{ apiToken {{ id }} {ERR} }} }}",
        frozenset({GOVERNMENT, INSTITUTION_X}),
        _with(World.bank_api_token_id, lambda i: {"id": i}),
    ),
    Operation(
        "createStaffAccount",
        "mutation($input: CreateStaffAccountInput!) { createStaffAccount(input: $input) "
        f"{{ account {{ id }} {ERR} }} }}",
        ONLY_GOVERNMENT,
        _staff,
    ),
    # --- government's credit work --------------------------------------------------------------
    Operation("declarations", "query { declarations { id } }", ONLY_GOVERNMENT),
    Operation(
        "reviewDeclaration",
        "mutation($input: ReviewDeclarationInput!) { reviewDeclaration(input: $input) "
        f"{{ declaration {{ id }} {ERR} }} }}",
        ONLY_GOVERNMENT,
        _with(
            World.declaration_id,
            lambda i: {"input": {"declarationId": i, "decision": "CONFIRM"}},
        ),
    ),
    Operation("objections", "query { objections { id } }", ONLY_GOVERNMENT),
    Operation(
        "forwardObjection",
        f"mutation($id: ID!) {{ forwardObjection(id: $id) {{ objection {{ id }} {ERR} }} }}",
        ONLY_GOVERNMENT,
        _with(World.objection_id, lambda i: {"id": i}),
    ),
    Operation(
        "resolveObjection",
        "mutation($input: ResolveObjectionInput!) { resolveObjection(input: $input) "
        f"{{ objection {{ id }} {ERR} }} }}",
        ONLY_GOVERNMENT,
        _with(
            World.objection_id,
            lambda i: {"input": {"objectionId": i, "uphold": False, "reason": "经核查处罚无误"}},
        ),
    ),
    Operation("repairRequests", "query { repairRequests { id } }", ONLY_GOVERNMENT),
    Operation(
        "resolveRepairRequest",
        "mutation($input: ResolveRepairRequestInput!) { resolveRepairRequest(input: $input) "
        f"{{ repairRequest {{ id }} {ERR} }} }}",
        ONLY_GOVERNMENT,
        _with(World.repair_id, lambda i: {"input": {"requestId": i, "approve": True}}),
    ),
    # --- data providers ---------------------------------------------------------------------
    Operation(
        "ingestCreditRecords",
        "mutation($input: IngestCreditRecordsInput!) { ingestCreditRecords(input: $input) "
        f"{{ batch {{ id }} rowErrors {{ code message }} {ERR} }} }}",
        frozenset({DATA_PROVIDER}),
        _ingest,
    ),
    # --- loan products -----------------------------------------------------------------------
    Operation("loanProducts", "query { loanProducts(first: 5) { items { id } } }", EVERYONE),
    Operation(
        "loanProduct",
        "query($id: ID!) { loanProduct(id: $id) { id } }",
        EVERYONE,
        _with(World.product_id, lambda i: {"id": i}),
    ),
    Operation("myLoanProducts", "query { myLoanProducts(first: 5) { items { id } } }", ONLY_X),
    Operation(
        "publishLoanProduct",
        "mutation($input: PublishLoanProductInput!) { publishLoanProduct(input: $input) "
        f"{{ product {{ id }} {ERR} }} }}",
        ONLY_X,
        _product_input,
    ),
    Operation(
        "updateLoanProduct",
        "mutation($input: UpdateLoanProductInput!) { updateLoanProduct(input: $input) "
        f"{{ product {{ id }} {ERR} }} }}",
        ONLY_X,
        _with(World.product_id, lambda i: {"input": {"productId": i, "maxAmount": "2000000"}}),
    ),
    Operation(
        "setLoanProductStatus",
        "mutation($input: SetLoanProductStatusInput!) { setLoanProductStatus(input: $input) "
        f"{{ product {{ id }} {ERR} }} }}",
        ONLY_X,
        _with(World.product_id, lambda i: {"input": {"productId": i, "status": "PAUSED"}}),
    ),
    # --- lending: firms --------------------------------------------------------------------
    Operation(
        "publishFinancingDemand",
        "mutation($input: PublishFinancingDemandInput!) { publishFinancingDemand(input: $input) "
        f"{{ demand {{ id }} {ERR} }} }}",
        ENTERPRISES,
        _input({"amount": "300000", "termMonths": 12, "purpose": "采购原材料"}),
    ),
    Operation("myDemands", "query { myDemands { id status } }", ENTERPRISES),
    Operation(
        "closeFinancingDemand",
        f"mutation($id: ID!) {{ closeFinancingDemand(id: $id) {{ demand {{ id }} {ERR} }} }}",
        ONLY_A,
        _with(World.demand_id, lambda i: {"id": i}),
    ),
    Operation(
        "applicationPreview",
        f"query($id: ID!) {{ applicationPreview(productId: $id) {{ needsConsent {ERR} }} }}",
        ENTERPRISES,
        _with(World.product_id, lambda i: {"id": i}),
    ),
    Operation(
        "applyForProduct",
        "mutation($input: ApplyForProductInput!) { applyForProduct(input: $input) "
        f"{{ application {{ id }} {ERR} }} }}",
        ENTERPRISES,
        _with(World.product_id, lambda i: {"input": {"productId": i}}),
    ),
    Operation("myApplications", "query { myApplications { id status } }", ENTERPRISES),
    Operation(
        "withdrawApplication",
        f"mutation($id: ID!) {{ withdrawApplication(id: $id) {{ application {{ id }} {ERR} }} }}",
        ONLY_A,
        _with(World.application_id, lambda i: {"id": i}),
    ),
    Operation(
        "productMatches",
        "query { productMatches(first: 5) { status product { id } } }",
        ENTERPRISES,
    ),
    Operation(
        "demandOffers",
        "query($id: ID!) { demandOffers(demandId: $id) { id } }",
        ONLY_A,
        _with(World.demand_id, lambda i: {"id": i}),
    ),
    # --- lending: institutions ----------------------------------------------------------------
    Operation("applications", "query { applications(first: 5) { items { id } } }", ONLY_X),
    Operation(
        "application",
        "query($id: ID!) { application(id: $id) { id status } }",
        ONLY_X,
        _with(World.application_id, lambda i: {"id": i}),
    ),
    Operation("loans", "query { loans(first: 5) { items { id } } }", ONLY_X),
    Operation("matchedDemands", "query { matchedDemands(first: 5) { items { id } } }", ONLY_X),
    Operation(
        "offerForDemand",
        "mutation($input: OfferForDemandInput!) { offerForDemand(input: $input) "
        f"{{ offer {{ id }} {ERR} }} }}",
        ONLY_X,
        _offer,
    ),
    Operation("riskAlerts", "query { riskAlerts(first: 5) { id } }", ONLY_X),
    Operation(
        "acknowledgeRiskAlert",
        f"mutation($id: ID!) {{ acknowledgeRiskAlert(id: $id) {{ alert {{ id }} {ERR} }} }}",
        ONLY_X,
        _with(World.risk_alert_id, lambda i: {"id": i}),
    ),
    Operation(
        "decideApplication",
        "mutation($input: DecideApplicationInput!) { decideApplication(input: $input) "
        f"{{ application {{ id }} {ERR} }} }}",
        ONLY_X,
        _with(
            World.application_id,
            lambda i: {"input": {"applicationId": i, "approve": False, "reason": "资料不全"}},
        ),
    ),
    Operation(
        "recordDisbursement",
        "mutation($input: RecordDisbursementInput!) { recordDisbursement(input: $input) "
        f"{{ loan {{ id }} {ERR} }} }}",
        ONLY_X,
        _with(
            World.approved_application_id,
            lambda i: {
                "input": {
                    "applicationId": i,
                    "amount": "100000",
                    "disbursedOn": china_today().isoformat(),
                    "isCreditLoan": False,
                }
            },
        ),
    ),
    Operation(
        "reportLoanPerformance",
        "mutation($input: ReportLoanPerformanceInput!) { reportLoanPerformance(input: $input) "
        f"{{ loan {{ id }} {ERR} }} }}",
        ONLY_X,
        _with(
            World.loan_id,
            lambda i: {
                "input": {"loanId": i, "status": "NORMAL", "reportedOn": china_today().isoformat()}
            },
        ),
    ),
    Operation(
        "platformStatistics",
        "query { platformStatistics { loans { count } } }",
        ONLY_GOVERNMENT,
    ),
    Operation(
        "publishPolicy",
        "mutation($input: PublishPolicyInput!) { publishPolicy(input: $input) "
        f"{{ policy {{ id }} {ERR} }} }}",
        ONLY_GOVERNMENT,
        _policy_input,
    ),
    Operation(
        "withdrawPolicy",
        "mutation($input: WithdrawPolicyInput!) { withdrawPolicy(input: $input) "
        f"{{ policy {{ id }} {ERR} }} }}",
        ONLY_GOVERNMENT,
        _with(World.policy_id, lambda i: {"input": {"policyId": i, "reason": "矩阵测试撤回"}}),
    ),
    Operation(
        "pushPolicy",
        f"mutation($id: ID!) {{ pushPolicy(policyId: $id) {{ job {{ id }} {ERR} }} }}",
        ONLY_GOVERNMENT,
        _with(World.policy_id, lambda i: {"id": i}),
    ),
    Operation(
        "policyPushJob",
        "query($id: ID!) { policyPushJob(id: $id) { id status } }",
        ONLY_GOVERNMENT,
        _with(World.push_job_id, lambda i: {"id": i}),
    ),
    Operation(
        "policyPushJobs",
        "query($id: ID!) { policyPushJobs(policyId: $id) { id } }",
        ONLY_GOVERNMENT,
        _with(World.policy_id, lambda i: {"id": i}),
    ),
    # --- auditors ------------------------------------------------------------------------------
    Operation("auditLog", "query { auditLog(first: 5) { items { seq } } }", frozenset({AUDITOR})),
    Operation("auditChainStatus", "query { auditChainStatus { ok } }", frozenset({AUDITOR})),
]


def _payload_codes(data: Any) -> list[str]:
    """Codes of every ``errors`` list inside a result's data (payload errors)."""
    found: list[str] = []
    if isinstance(data, dict):
        for key, value in data.items():
            if key in ("errors", "rowErrors") and isinstance(value, list):
                found.extend(str(e.get("code")) for e in value if isinstance(e, dict))
            else:
                found.extend(_payload_codes(value))
    elif isinstance(data, list):
        for item in data:
            found.extend(_payload_codes(item))
    return found


def outcome(result: GraphQLResult, operation: Operation) -> str:
    """ALLOWED, DENIED, or a description of anything else (which fails the matrix)."""
    top = [str(code) for code in result.error_codes()]
    if top:
        return "DENIED" if set(top) <= DENIALS else f"unexpected errors {top}"
    codes = set(_payload_codes(result.data))
    if not codes or codes <= operation.tolerate:
        return "ALLOWED"
    if codes <= DENIALS:
        return "DENIED"
    return f"unexpected payload errors {sorted(codes)}"


def root_fields() -> set[str]:
    """Every root Query and Mutation field of the schema."""
    schema = build_schema(Settings())._schema
    assert schema.query_type is not None and schema.mutation_type is not None
    return set(schema.query_type.fields) | set(schema.mutation_type.fields)


def test_every_operation_of_the_schema_is_in_the_matrix():
    listed = [op.name for op in OPERATIONS]
    assert len(listed) == len(set(listed)), "an operation is listed twice"
    missing = root_fields() - set(listed)
    stale = set(listed) - root_fields()
    assert not missing, f"add these operations to the access matrix, with who may: {missing}"
    assert not stale, f"these operations are no longer in the schema: {stale}"


@pytest.fixture
def fake():
    with serve_fake_provider() as provider:
        yield provider


async def test_exactly_the_listed_roles_may_use_each_operation(client, runtime, fake, leak_guard):
    world = await build_world(client, runtime, fake)
    wrong: list[str] = []
    for operation in OPERATIONS:
        for role in ROLES:
            variables = await operation.variables(world, role) if operation.variables else {}
            token = await world.fresh_token(role) if operation.fresh_token else world.token(role)
            result = await client.execute(operation.document, variables, token=token)
            expected = "ALLOWED" if role in operation.allowed else "DENIED"
            got = outcome(result, operation)
            if got != expected:
                wrong.append(f"{operation.name} as {role}: expected {expected}, got {got}")
    wrong.extend(await _http_cells(client, world))
    assert not wrong, "\n".join(wrong)
    assert leak_guard.institution_responses > 0  # the leak guard looked at institution answers


# Routes besides /graphql, and who may use them: a test fails when the app gains an unlisted one.
HTTP_ROUTES: dict[str, frozenset[str]] = {
    "/graphql": EVERYONE,  # each operation is judged by the table above
    "/healthz": EVERYONE,
    "/metrics": EVERYONE,  # operational figures only; keep it behind the internal network
    "/ingest/{category}": frozenset({DATA_PROVIDER}),
    "/audit/export": frozenset({AUDITOR}),
    "/statistics/export.csv": ONLY_GOVERNMENT,
    "/c/{slug:path}": EVERYONE,  # a credit code's public page (name and grade, when switched on)
    "": EVERYONE,  # the web page (static files)
}


def test_every_http_route_is_in_the_matrix(runtime):
    paths = {getattr(route, "path", None) for route in create_app(runtime=runtime).routes}
    assert paths == set(HTTP_ROUTES), (
        f"list these routes in HTTP_ROUTES: {paths - set(HTTP_ROUTES)}"
    )


async def _http_cells(client: GraphQLClient, world: World) -> list[str]:
    """Who may send records to /ingest and fetch the exports (by status code)."""
    wrong = []
    for role in ROLES:
        token = world.token(role)
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        record = (await _ingest(world, role))["input"]["records"][0]
        sent = await client.http.post(
            f"/ingest/abnormal_operation?batchId=http-{world.serial()}",
            content=json.dumps(record, ensure_ascii=False).encode() + b"\n",
            headers={**headers, "Content-Type": "application/x-ndjson"},
        )
        exported = await client.http.get(
            "/audit/export?from=2026-01-01&to=2027-01-01", headers=headers
        )
        statistics = await client.http.get(
            "/statistics/export.csv?from=2026-01-01&to=2026-11-01", headers=headers
        )
        cells = (
            ("/ingest/{category}", sent),
            ("/audit/export", exported),
            ("/statistics/export.csv", statistics),
        )
        for path, response in cells:
            expected = {200} if role in HTTP_ROUTES[path] else {401, 403}
            if response.status_code not in expected:
                wrong.append(f"{path} as {role}: expected {expected}, got {response.status_code}")
    return wrong
