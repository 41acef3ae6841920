"""Builders for loan products: a valid publishLoanProduct input, and publishing one."""

from __future__ import annotations

import itertools
import json
from pathlib import Path
from typing import Any

from tests.support.graphql import GraphQLClient

PUBLISH_PRODUCT = """
mutation Publish($input: PublishLoanProductInput!) {
  publishLoanProduct(input: $input) {
    product {
      id code name productType productTypeLabel status version
      institution { id name kind }
      minAmount maxAmount minTermMonths maxTermMonths minAnnualRate maxAnnualRate
      regionCodes regionNames description tags eligibility eligibilityText
      requiredScopes requiredScopeLabels targetGrade createdAt updatedAt
    }
    errors { code field message }
  }
}
"""

# A rule every demo firm can be judged by (three facts the platform computes for each).
DEFAULT_RULE: dict[str, Any] = {
    "all": [
        {"fact": "years_in_business", "op": "gte", "value": 2},
        {"fact": "tax_credit_grade", "op": "in", "value": ["A", "B", "M"]},
        {"not": {"fact": "on_dishonest_list", "op": "eq", "value": True}},
    ]
}

_codes = itertools.count(1)
SEED_PRODUCTS_FILE = Path(__file__).resolve().parents[2] / "seed_products" / "products.json"
SEED_POLICIES_FILE = SEED_PRODUCTS_FILE.with_name("policies.json")


def seed_audit_actions() -> list[tuple[str, str]]:
    """The (action, outcome) audit rows a first seed run writes for products.json and
    policies.json, in order: each institution (``institution.seed``) followed by its products
    (``product.publish``), then each policy (``policy.seed``).
    They come before the demo's rows (products load right after the data providers)."""
    document = json.loads(SEED_PRODUCTS_FILE.read_text(encoding="utf-8"))
    rows: list[tuple[str, str]] = []
    for institution in document["institutions"]:
        rows.append(("institution.seed", "success"))
        rows.extend([("product.publish", "success")] * len(institution["products"]))
    # Then policies.json: one row per policy loaded.
    policies = json.loads(SEED_POLICIES_FILE.read_text(encoding="utf-8"))["policies"]
    rows.extend([("policy.seed", "success")] * len(policies))
    return rows


def product_input(**overrides: Any) -> dict[str, Any]:
    """A valid ``PublishLoanProductInput`` (camelCase keys) with some fields replaced."""
    values: dict[str, Any] = {
        "name": "测试信易贷",
        "productType": "CREDIT",
        "minAmount": "100000",
        "maxAmount": "3000000",
        "minTermMonths": 6,
        "maxTermMonths": 36,
        "minAnnualRate": "0.0365",
        "maxAnnualRate": "0.0550",
        "regionCodes": ["3713"],
        "description": "面向纳税信用良好的小微企业的纯信用贷款，随借随还。",
        "tags": ["纯信用", "随借随还"],
        "eligibility": DEFAULT_RULE,
        "requiredScopes": ["tax"],
        "targetGrade": "B",
        "code": f"TEST-{next(_codes):05d}",
    }
    values.update(overrides)
    return values


async def publish_product_payload(
    client: GraphQLClient, token: str, **overrides: Any
) -> dict[str, Any]:
    """Send publishLoanProduct with ``product_input(**overrides)``; returns the payload."""
    result = await client.execute(
        PUBLISH_PRODUCT, {"input": product_input(**overrides)}, token=token
    )
    assert result.errors == [], result.errors
    assert result.data is not None
    return result.data["publishLoanProduct"]


async def publish_product(client: GraphQLClient, token: str, **overrides: Any) -> str:
    """Publish a product as the institution staff (or API token) ``token``; returns its id."""
    payload = await publish_product_payload(client, token, **overrides)
    assert payload["errors"] == [], payload["errors"]
    return payload["product"]["id"]
