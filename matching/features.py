"""Enterprise facts: registration, credit records and declarations turned into rule facts.

Input is plain data: the registration record's fields, the enterprise's *currently visible*
records by sharing-list category code (each a dict of its clean fields), and self-declared values.
Output is a dict with every key of ``FACT_TYPES``. A fact that cannot be known is ``None`` (never
0 or False), so that rules answer UNKNOWN instead of a wrong "no".

Which absences mean "none" and which mean "unknown":

* Public categories (admin_penalty, admin_enforcement, judicial, dishonest_list,
  abnormal_operation, tech_rnd, honors) are collected from their authorities for every enterprise
  (双公示, court and list publications, the high-tech register). No record there means there is
  nothing to report: counts are 0 and flags False.
* Authorised categories (tax, social_insurance, water/gas/electricity fees) are shared per
  provider and may simply not have arrived. No record there means the fact is unknown: None.

Self-declared figures (``DECLARABLE``) fill a fact only when no official record gives it;
``compute_facts_with_sources`` says which facts came from declarations so that the scorecard can
weigh them less and the page can label them 自主填报.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any, TypeVar

from matching.facts import DECLARABLE, ENUM_VALUES, FACT_TYPES
from matching.sizing import classify_size, required_figures
from matching.values import (
    as_bool,
    as_count,
    as_date,
    as_decimal,
    as_month,
    months_before,
    years_before,
)

__all__ = [
    "DECLARABLE",
    "FACT_TYPES",
    "ComputedFacts",
    "compute_facts",
    "compute_facts_with_sources",
]

Record = Mapping[str, Any]
Records = Mapping[str, Sequence[Record]]
K = TypeVar("K", int, tuple[int, int])
V = TypeVar("V")

LOOKBACK_YEARS = 3  # penalties, court enforcement and honours count for three years
UTILITY_MONTHS = 6  # utility arrears look back six months before the current one
UTILITY_CATEGORIES = ("water_fee", "gas_fee", "electricity_fee")
_SIZE_INPUTS = {"employees": "employees", "revenue": "annual_revenue", "assets": "total_assets"}


@dataclass(frozen=True)
class ComputedFacts:
    """Facts plus the names of those taken from the enterprise's own declarations."""

    values: dict[str, Any]
    declared: frozenset[str]


def compute_facts(
    *,
    registration: Record | None,
    records: Records,
    declarations: Mapping[str, Any] | None = None,
    today: date,
    first_time_borrower: bool | None = None,
    entity_type: str | None = None,
    region_code: str | None = None,
    credit_score: int | None = None,
    credit_grade: str | None = None,
) -> dict[str, Any]:
    """Every fact of ``FACT_TYPES`` for one enterprise on ``today`` (None where unknown)."""
    return compute_facts_with_sources(
        registration=registration,
        records=records,
        declarations=declarations,
        today=today,
        first_time_borrower=first_time_borrower,
        entity_type=entity_type,
        region_code=region_code,
        credit_score=credit_score,
        credit_grade=credit_grade,
    ).values


def compute_facts_with_sources(
    *,
    registration: Record | None,
    records: Records,
    declarations: Mapping[str, Any] | None = None,
    today: date,
    first_time_borrower: bool | None = None,
    entity_type: str | None = None,
    region_code: str | None = None,
    credit_score: int | None = None,
    credit_grade: str | None = None,
) -> ComputedFacts:
    """Like ``compute_facts``, also naming the facts that rest on self-declared figures."""
    _check_enum("entity_type", entity_type)
    _check_enum("credit_grade", credit_grade)
    reg = registration or {}
    declared_figures = _declared_figures(declarations or {})
    declared: set[str] = set()

    employees = _latest(records.get("social_insurance", ()), _month_key, "insured_count", as_count)
    if employees is None and "employees" in declared_figures:
        employees = int(declared_figures["employees"])
        declared.add("employees")
    revenue = _latest(records.get("tax", ()), _year_key, "annual_revenue", _non_negative)
    if revenue is None and "annual_revenue" in declared_figures:
        revenue = declared_figures["annual_revenue"]
        declared.add("annual_revenue")
    assets = declared_figures.get("total_assets")

    industry_code = _text(reg.get("industry_code"), upper=True)
    size_class = classify_size(
        industry_code, employees=employees, revenue_yuan=revenue, assets_yuan=assets
    )
    # Total assets have no official source here: when the group uses them they are declared.
    declared_inputs = declared | ({"total_assets"} if assets is not None else set())
    used = {_SIZE_INPUTS[fig] for fig in required_figures(industry_code) or ()}
    if size_class is not None and used & declared_inputs:
        declared.add("size_class")

    penalties = [r for r in records.get("admin_penalty", ()) if _publicised(r, today)]
    recent_penalties = [r for r in penalties if _within_years(r.get("decided_on"), today)]
    tax_rows = records.get("tax", ())
    values: dict[str, Any] = {
        "entity_type": entity_type,
        "region_code": _text(region_code),
        "industry_code": industry_code,
        "size_class": size_class,
        "years_in_business": _whole_years(as_date(reg.get("established_on")), today),
        "registered_capital": _non_negative(reg.get("registered_capital")),
        "employees": employees,
        "annual_revenue": revenue,
        "tax_credit_grade": _latest(tax_rows, _year_key, "tax_credit_grade", _tax_grade),
        "annual_tax_paid": _latest(tax_rows, _year_key, "tax_paid", _non_negative),
        "is_high_tech": _is_high_tech(records.get("tech_rnd", ()), today),
        "admin_penalties_3y": len(recent_penalties),
        "serious_penalties_3y": sum(1 for r in recent_penalties if r.get("severity") == "serious"),
        "has_enforcement": _has_enforcement(records, today),
        "on_dishonest_list": _listed_now(records.get("dishonest_list", ()), today),
        "on_abnormal_list": _listed_now(records.get("abnormal_operation", ()), today),
        "has_utility_arrears": _utility_arrears(records, today),
        "honors_3y": sum(1 for r in records.get("honors", ()) if _current_honour(r, today)),
        "credit_score": credit_score,
        "credit_grade": credit_grade,
        "is_first_time_borrower": first_time_borrower,
    }
    assert values.keys() == FACT_TYPES.keys()
    return ComputedFacts(values=values, declared=frozenset(declared))


def _check_enum(fact: str, value: str | None) -> None:
    if value is not None and value not in ENUM_VALUES[fact]:
        raise ValueError(f"{fact} must be one of {ENUM_VALUES[fact]}, not {value!r}")


def _declared_figures(declarations: Mapping[str, Any]) -> dict[str, Decimal]:
    """The usable declared figures: non-negative numbers, employees whole."""
    figures: dict[str, Decimal] = {}
    for name in DECLARABLE:
        raw = declarations.get(name)
        if name == "employees":
            count = as_count(raw)
            value = None if count is None else Decimal(count)
        else:
            value = _non_negative(raw)
        if value is not None:
            figures[name] = value
    return figures


def _text(value: Any, *, upper: bool = False) -> str | None:
    if not isinstance(value, str) or not value.strip():
        return None
    return value.strip().upper() if upper else value.strip()


def _non_negative(value: Any) -> Decimal | None:
    number = as_decimal(value)
    return number if number is not None and number >= 0 else None


def _tax_grade(value: Any) -> str | None:
    return value if value in ENUM_VALUES["tax_credit_grade"] else None


def _year_key(record: Record) -> int | None:
    return as_count(record.get("year"))


def _month_key(record: Record) -> tuple[int, int] | None:
    return as_month(record.get("month"))


def _latest(
    rows: Iterable[Record],
    order: Callable[[Record], K | None],
    field: str,
    read: Callable[[Any], V | None],
) -> V | None:
    """The field's value in the latest record (by ``order``) that has a readable value."""
    best: tuple[K, V] | None = None
    for row in rows:
        key, value = order(row), read(row.get(field))
        if key is not None and value is not None and (best is None or key > best[0]):
            best = (key, value)
    return None if best is None else best[1]


def _whole_years(start: date | None, today: date) -> int | None:
    """Completed years since ``start`` (anniversaries passed); None for none or a future date."""
    if start is None or start > today:
        return None
    return today.year - start.year - ((today.month, today.day) < (start.month, start.day))


def _within_years(value: Any, today: date, years: int = LOOKBACK_YEARS) -> bool:
    day = as_date(value)
    return day is not None and years_before(today, years) <= day <= today


def _publicised(penalty: Record, today: date) -> bool:
    """Still within its publicity period: an expired or repaired penalty no longer counts."""
    until = as_date(penalty.get("publicity_until"))
    return until is None or until >= today


def _listed_now(rows: Iterable[Record], today: date) -> bool:
    """On a list (dishonest, abnormal operation): listed by today and not removed by today."""
    for row in rows:
        listed = as_date(row.get("listed_on"))
        removed = as_date(row.get("removed_on"))
        if (listed is None or listed <= today) and (removed is None or removed > today):
            return True
    return False


def _is_high_tech(rows: Iterable[Record], today: date) -> bool:
    """A 高新技术企业 certificate valid today (a row without an expiry counts if it is recent)."""
    for row in rows:
        if as_bool(row.get("is_high_tech")) is not True:
            continue
        until = as_date(row.get("high_tech_valid_until"))
        year = as_count(row.get("year"))
        if (until is not None and until >= today) or (
            until is None and year is not None and year >= today.year - 1
        ):
            return True
    return False


def _has_enforcement(records: Records, today: date) -> bool:
    """Under an unlifted administrative enforcement measure, or a court's judgment debtor
    (被执行人) in a case still open or closed within the last three years."""
    for row in records.get("admin_enforcement", ()):
        executed, ended = as_date(row.get("executed_on")), as_date(row.get("ended_on"))
        if (executed is None or executed <= today) and (ended is None or ended > today):
            return True
    for row in records.get("judicial", ()):
        if row.get("role") != "被执行人":
            continue
        if row.get("status") != "已结案":
            return True
        if _within_years(row.get("judged_on") or row.get("filed_on"), today):
            return True
    return False


def _utility_arrears(records: Records, today: date) -> bool | None:
    """Any water, gas or electricity month in arrears from six months back to now; None when
    there is no utility record in that window (old records say nothing about now)."""
    start, now = months_before(today, UTILITY_MONTHS), (today.year, today.month)
    seen = False
    for category in UTILITY_CATEGORIES:
        for row in records.get(category, ()):
            month = as_month(row.get("month"))
            arrears = as_bool(row.get("in_arrears"))
            if month is None or arrears is None or not start <= month <= now:
                continue
            if arrears:
                return True
            seen = True
    return False if seen else None


def _current_honour(row: Record, today: date) -> bool:
    """An honour awarded in the last three years and not expired."""
    until = as_date(row.get("valid_until"))
    return _within_years(row.get("awarded_on"), today) and (until is None or until >= today)
