"""enterprise_features follows every change: ingestion, correction, withdrawal."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from backend.enterprises.features import refresh_expired
from backend.enterprises.models import Enterprise, EnterpriseFeatures
from tests.support.builders import (
    DEMO_ENTERPRISES,
    ingest,
    load_demo,
    provider_token,
    registered_enterprise,
    staff_token,
)

SUBMIT = """
mutation Submit($input: SubmitDeclarationInput!) {
  submitDeclaration(input: $input) { declaration { id status } errors { code field message } }
}
"""
REVIEW = """
mutation Review($input: ReviewDeclarationInput!) {
  reviewDeclaration(input: $input) { errors { code field message } }
}
"""


async def features_of(runtime, uscc: str) -> EnterpriseFeatures:
    async with runtime.sessionmaker() as session:
        return (
            await session.execute(
                select(EnterpriseFeatures)
                .join(Enterprise, Enterprise.id == EnterpriseFeatures.enterprise_id)
                .where(Enterprise.uscc == uscc)
            )
        ).scalar_one()


async def test_demo_enterprises_have_features_and_grades(client, runtime):
    # when
    await load_demo(runtime)
    # then
    shunda = await features_of(runtime, DEMO_ENTERPRISES[0].uscc)
    zhixin = await features_of(runtime, DEMO_ENTERPRISES[3].uscc)
    assert (shunda.tax_credit_grade, shunda.admin_penalties_3y, shunda.region_code) == (
        "A",
        0,
        "371302",
    )
    assert shunda.entity_type == "enterprise" and shunda.size_class is not None
    assert zhixin.is_high_tech is True and zhixin.serious_penalties_3y >= 1
    assert shunda.credit_score > zhixin.credit_score
    assert shunda.evaluation["grade"] == shunda.credit_grade


async def test_a_new_penalty_and_its_withdrawal_update_the_features(client, runtime):
    # given
    await load_demo(runtime)
    office = await provider_token(client, runtime, code="office2", categories=["admin_penalty"])
    uscc = DEMO_ENTERPRISES[0].uscc
    before = await features_of(runtime, uscc)
    penalty = {
        "uscc": uscc,
        "name": DEMO_ENTERPRISES[0].name,
        "doc_number": "临环罚〔2026〕9号",
        "violation_type": "环境违法",
        "content": "罚款",
        "fine_amount": "20000",
        "decided_on": "2026-10-01",
        "publicity_until": "2027-10-01",
        "severity": "serious",
        "authority_name": "临沂市生态环境局",
    }
    # when
    await ingest(client, office, "admin_penalty", [penalty])
    punished = await features_of(runtime, uscc)
    await ingest(
        client, office, "admin_penalty", [], withdrawals=[{"doc_number": "临环罚〔2026〕9号"}]
    )
    restored = await features_of(runtime, uscc)
    # then
    assert (before.serious_penalties_3y, punished.serious_penalties_3y) == (0, 1)
    assert punished.credit_score < before.credit_score
    assert restored.serious_penalties_3y == 0 and restored.credit_score == before.credit_score
    assert punished.computed_at >= before.computed_at


async def test_declared_figures_fill_what_no_provider_sent_until_rejected(client, runtime):
    # given an enterprise with no social-insurance records (so no official head count)
    token = await registered_enterprise(
        client,
        runtime,
        uscc="91440300708461136T",
        name="深圳示例科技有限公司",
        id_number="11010519491231002X",
    )
    government = await staff_token(client, runtime)
    before = await features_of(runtime, "91440300708461136T")
    # when it declares its business figures under the commitment
    commitment = await client.execute('{ commitmentText(kind: "declaration") { version } }')
    submitted = await client.execute(
        SUBMIT,
        {
            "input": {
                "category": "operations",
                "acceptCommitment": True,
                "commitmentVersion": commitment.data["commitmentText"]["version"],
                "content": {"year": 2025, "employees": 35, "annual_revenue": "6000000"},
            }
        },
        token=token,
    )
    declared = await features_of(runtime, "91440300708461136T")
    # and government staff reject the declaration
    declaration_id = submitted.data["submitDeclaration"]["declaration"]["id"]
    await client.execute(
        REVIEW,
        {"input": {"declarationId": declaration_id, "decision": "REJECT", "reason": "无法核实"}},
        token=government,
    )
    rejected = await features_of(runtime, "91440300708461136T")
    # then the figure counts, marked as declared, only while the declaration stands
    assert submitted.data["submitDeclaration"]["errors"] == []
    assert before.employees is None
    assert declared.employees == 35 and "employees" in declared.declared_facts
    assert rejected.employees is None and rejected.declared_facts == []


async def test_a_penalty_leaving_publicity_stops_counting_after_the_daily_refresh(client, runtime):
    # given a penalty counted in the features, public until yesterday-in-the-test
    await load_demo(runtime)
    office = await provider_token(client, runtime, code="office3", categories=["admin_penalty"])
    uscc = DEMO_ENTERPRISES[0].uscc
    penalty = {
        "uscc": uscc,
        "name": DEMO_ENTERPRISES[0].name,
        "doc_number": "临罚〔2026〕1号",
        "violation_type": "违规",
        "content": "警告",
        "decided_on": "2026-09-01",
        "publicity_until": "2026-12-01",
        "severity": "general",
        "authority_name": "临沂市某局",
    }
    await ingest(client, office, "admin_penalty", [penalty])
    counted = await features_of(runtime, uscc)
    # when the daily refresh runs after the publicity period has ended
    async with runtime.sessionmaker() as session:
        before_end = await refresh_expired(session, today=date(2026, 12, 1))
        after_end = await refresh_expired(session, today=date(2026, 12, 2))
        again = await refresh_expired(session, today=date(2026, 12, 2))
        await session.commit()
    refreshed = await features_of(runtime, uscc)
    # then only the enterprise whose penalty expired was refreshed, once
    assert counted.admin_penalties_3y == 1
    assert (before_end, after_end, again) == (0, 1, 0)
    assert refreshed.admin_penalties_3y == 0
