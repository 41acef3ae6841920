"""The facts an enterprise is described by: names, types and allowed values.

These are the names eligibility rules (CONTRACT.md, "The rule language") and the scorecard refer
to. The rule compiler checks a rule's operators and values against ``FACT_TYPES`` and
``ENUM_VALUES``; ``matching.facts.compute_facts`` returns exactly the keys of ``FACT_TYPES``.
"""

from __future__ import annotations

from typing import Final

# One of "string", "number", "boolean". Enum facts are strings whose values are listed below.
FACT_TYPES: Final[dict[str, str]] = {
    "entity_type": "string",
    "region_code": "string",
    "industry_code": "string",
    "size_class": "string",
    "years_in_business": "number",
    "registered_capital": "number",
    "employees": "number",
    "annual_revenue": "number",
    "tax_credit_grade": "string",
    "annual_tax_paid": "number",
    "is_high_tech": "boolean",
    "admin_penalties_3y": "number",
    "serious_penalties_3y": "number",
    "has_enforcement": "boolean",
    "on_dishonest_list": "boolean",
    "on_abnormal_list": "boolean",
    "has_utility_arrears": "boolean",
    "honors_3y": "number",
    "credit_score": "number",
    "credit_grade": "string",
    "is_first_time_borrower": "boolean",
}

# The facts the contract fixes (CONTRACT.md); the others are this module's additions.
CONTRACT_FACTS: Final[frozenset[str]] = frozenset(FACT_TYPES) - {"honors_3y"}

ENUM_VALUES: Final[dict[str, tuple[str, ...]]] = {
    "entity_type": ("enterprise", "individual_business", "farmer_coop", "other"),
    "size_class": ("micro", "small", "medium", "large"),
    "tax_credit_grade": ("A", "B", "M", "C", "D"),
    "credit_grade": ("A+", "A", "B", "C", "D"),
}

# Facts an enterprise may self-declare (自愿填报) when no official figure exists, and the one
# extra declared figure used only for the size class.
DECLARABLE: Final[tuple[str, ...]] = ("employees", "annual_revenue", "total_assets")

# Money facts are in yuan.
MONEY_FACTS: Final[frozenset[str]] = frozenset(
    {"registered_capital", "annual_revenue", "annual_tax_paid"}
)
