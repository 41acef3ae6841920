"""Builders and documents for the lending flow: demands, applications, decisions and loans."""

from __future__ import annotations

from typing import Any

from tests.support.graphql import GraphQLClient

PUBLISH_DEMAND = """
mutation Demand($input: PublishFinancingDemandInput!) {
  publishFinancingDemand(input: $input) {
    demand { id amount termMonths purpose status }
    errors { code field message }
  }
}
"""
PREVIEW = """
query Preview($productId: ID!) {
  applicationPreview(productId: $productId) {
    scopes scopeLabels purpose reusedAuthorizationId needsConsent consentVersion consentText
    errors { code field message }
  }
}
"""
APPLY = """
mutation Apply($input: ApplyForProductInput!) {
  applyForProduct(input: $input) {
    application {
      id status productVersion productName authorizationId requestedAmount requestedTermMonths
      demand { id }
    }
    replayed
    errors { code field message }
  }
}
"""
DECIDE = """
mutation Decide($input: DecideApplicationInput!) {
  decideApplication(input: $input) {
    application { id status approvedAmount annualRate approvedTermMonths decisionReason }
    errors { code field message }
  }
}
"""
DISBURSE = """
mutation Disburse($input: RecordDisbursementInput!) {
  recordDisbursement(input: $input) {
    loan { id amount isCreditLoan isFirstLoan status disbursedOn }
    errors { code field message }
  }
}
"""
PERFORMANCE = """
mutation Performance($input: ReportLoanPerformanceInput!) {
  reportLoanPerformance(input: $input) {
    loan { id status statusOn }
    errors { code field message }
  }
}
"""
MY_APPLICATIONS = """
query { myApplications {
  id status productName institutionName decisionReason loan { id status isFirstLoan }
} }
"""
APPLICATIONS = """
query Applications($status: ApplicationStatus, $first: Int!, $after: String) {
  applications(status: $status, first: $first, after: $after) {
    items {
      id status productName requestedAmount
      enterprise { uscc name legalRepIdNumberMasked legalRepIdNumber }
      product { id name } demand { id amount }
    }
    pageInfo { endCursor hasNextPage }
  }
}
"""


async def publish_demand(
    client: GraphQLClient,
    token: str,
    *,
    amount: str = "500000",
    term_months: int = 12,
    purpose: str = "采购原材料，扩大物流车队",
) -> str:
    """Publish a demand as the enterprise of ``token``; returns its id."""
    result = await client.execute(
        PUBLISH_DEMAND,
        {"input": {"amount": amount, "termMonths": term_months, "purpose": purpose}},
        token=token,
    )
    payload = result.data["publishFinancingDemand"]
    assert payload["errors"] == [], payload["errors"]
    return payload["demand"]["id"]


async def apply(
    client: GraphQLClient,
    token: str,
    product_id: str,
    demand_id: str | None = None,
    *,
    key: str | None = None,
    **extra: Any,
) -> dict[str, Any]:
    """Preview then apply (accepting the consent text shown); returns the payload."""
    preview = (await client.execute(PREVIEW, {"productId": product_id}, token=token)).data[
        "applicationPreview"
    ]
    values: dict[str, Any] = {"productId": product_id, "demandId": demand_id, **extra}
    if preview["needsConsent"]:
        values.setdefault("consentVersion", preview["consentVersion"])
    headers = {"Idempotency-Key": key} if key else None
    result = await client.execute(APPLY, {"input": values}, token=token, headers=headers)
    return result.data["applyForProduct"]


async def approve(
    client: GraphQLClient,
    token: str,
    application_id: str,
    *,
    amount: str = "300000",
    rate: str = "0.0395",
    term_months: int = 12,
) -> dict[str, Any]:
    """Approve an application as the institution of ``token``; returns the payload."""
    result = await client.execute(
        DECIDE,
        {
            "input": {
                "applicationId": application_id,
                "approve": True,
                "approvedAmount": amount,
                "annualRate": rate,
                "termMonths": term_months,
            }
        },
        token=token,
    )
    return result.data["decideApplication"]
