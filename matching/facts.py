"""The facts catalog: every fact a rule or the scorecard may name, with its type, unit, Chinese
label and the operators its type allows. Versioned: a change of meaning raises ``CATALOG_VERSION``.

``matching.features.compute_facts`` returns exactly the keys of the catalog; ``matching.rules``
checks rules against it; the ``enterprise_features`` table has one column per fact.

Kinds:

* ``number``: counts, years and money (yuan); ``eq ne lt lte gt gte between``.
* ``boolean``: ``eq ne`` with true or false; ``phrases`` say the two states in Chinese.
* ``enum``: one of ``values``; ``eq ne in not_in``, and for an ordered enum (grades, size classes)
  also ``lt lte gt gte between`` along ``values`` from lowest to highest.
* ``region``: a 6-digit division code; ``eq ne in not_in`` and ``within_region`` (a 2-, 4- or
  6-digit prefix, or a list of them).
* ``industry``: a GB/T 4754 code (``C``, ``C13``, ``I65``); ``eq ne in not_in`` and
  ``within_industry`` (a section letter or code prefix, or a list of them).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

CATALOG_VERSION: Final = "2026.11.1"

NUMBER_OPS: Final = frozenset({"eq", "ne", "lt", "lte", "gt", "gte", "between"})
BOOLEAN_OPS: Final = frozenset({"eq", "ne"})
ENUM_OPS: Final = frozenset({"eq", "ne", "in", "not_in"})
ORDERED_ENUM_OPS: Final = ENUM_OPS | {"lt", "lte", "gt", "gte", "between"}
REGION_OPS: Final = ENUM_OPS | {"within_region"}
INDUSTRY_OPS: Final = ENUM_OPS | {"within_industry"}
ALL_OPS: Final = NUMBER_OPS | ORDERED_ENUM_OPS | REGION_OPS | INDUSTRY_OPS

OP_SYMBOLS: Final[dict[str, str]] = {
    "eq": "=",
    "ne": "≠",
    "lt": "<",
    "lte": "≤",
    "gt": ">",
    "gte": "≥",
}


@dataclass(frozen=True)
class Fact:
    """One fact: its name, kind, Chinese label, unit and allowed operators."""

    name: str
    kind: str  # number, boolean, enum, region, industry
    label: str
    unit: str = ""
    values: tuple[str, ...] = ()  # enum values, lowest first when ordered
    ordered: bool = False
    integer: bool = False
    phrases: tuple[str, str] = ("是", "否")  # booleans: the true and the false state
    value_labels: tuple[tuple[str, str], ...] = ()
    changeable: bool = True  # whether a firm can act on it (what-if suggestions skip the rest)

    @property
    def operators(self) -> frozenset[str]:
        """The operators a rule may use on this fact."""
        if self.kind == "number":
            return NUMBER_OPS
        if self.kind == "boolean":
            return BOOLEAN_OPS
        if self.kind == "region":
            return REGION_OPS
        if self.kind == "industry":
            return INDUSTRY_OPS
        return ORDERED_ENUM_OPS if self.ordered else ENUM_OPS

    def value_label(self, value: str) -> str:
        """The Chinese label of an enum value (the value itself when it has none)."""
        return dict(self.value_labels).get(value, value)


def _facts(*facts: Fact) -> dict[str, Fact]:
    return {fact.name: fact for fact in facts}


CATALOG: Final[dict[str, Fact]] = _facts(
    Fact(
        "entity_type",
        "enum",
        "主体类型",
        values=("enterprise", "individual_business", "farmer_coop", "other"),
        value_labels=(
            ("enterprise", "企业"),
            ("individual_business", "个体工商户"),
            ("farmer_coop", "农民专业合作社"),
            ("other", "其他主体"),
        ),
        changeable=False,
    ),
    Fact("region_code", "region", "注册地", changeable=False),
    Fact("industry_code", "industry", "所属行业", changeable=False),
    Fact(
        "size_class",
        "enum",
        "企业规模",
        values=("micro", "small", "medium", "large"),
        ordered=True,
        value_labels=(("micro", "微型"), ("small", "小型"), ("medium", "中型"), ("large", "大型")),
    ),
    Fact("years_in_business", "number", "成立年限", "年"),
    Fact("registered_capital", "number", "注册资本", "元"),
    Fact("employees", "number", "从业人数", "人", integer=True),
    Fact("annual_revenue", "number", "年营业收入", "元"),
    Fact(
        "tax_credit_grade",
        "enum",
        "纳税信用等级",
        values=("D", "C", "M", "B", "A"),
        ordered=True,
        value_labels=(("D", "D级"), ("C", "C级"), ("M", "M级"), ("B", "B级"), ("A", "A级")),
    ),
    Fact("annual_tax_paid", "number", "年纳税额", "元"),
    Fact("is_high_tech", "boolean", "高新技术企业", phrases=("是高新技术企业", "不是高新技术企业")),
    Fact("admin_penalties_3y", "number", "近三年行政处罚", "次", integer=True),
    Fact("serious_penalties_3y", "number", "近三年严重违法失信行为", "次", integer=True),
    Fact("has_enforcement", "boolean", "行政强制", phrases=("有行政强制记录", "无行政强制记录")),
    Fact(
        "on_dishonest_list",
        "boolean",
        "失信名单",
        phrases=("列入失信被执行人或严重失信主体名单", "未列入失信名单"),
    ),
    Fact(
        "on_abnormal_list",
        "boolean",
        "经营异常名录",
        phrases=("列入经营异常名录", "未列入经营异常名录"),
    ),
    Fact(
        "has_utility_arrears",
        "boolean",
        "水电气欠费",
        phrases=("近六个月有水电气欠费", "近六个月无水电气欠费"),
    ),
    Fact("honors_3y", "number", "近三年荣誉表彰", "项", integer=True),
    Fact("credit_score", "number", "信用评分", "分", integer=True),
    Fact(
        "credit_grade",
        "enum",
        "信用等级",
        values=("D", "C", "B", "A", "A+"),
        ordered=True,
    ),
    Fact(
        "is_first_time_borrower",
        "boolean",
        "首贷户",
        phrases=("是首次贷款的企业（首贷户）", "不是首贷户"),
        changeable=False,
    ),
)

# One of "string", "number", "boolean" per fact (the scorecard's view of the catalog).
FACT_TYPES: Final[dict[str, str]] = {
    name: fact.kind if fact.kind in ("number", "boolean") else "string"
    for name, fact in CATALOG.items()
}

# The facts the contract fixes (CONTRACT.md); the others are this catalog's additions.
CONTRACT_FACTS: Final[frozenset[str]] = frozenset(CATALOG) - {"honors_3y"}

# Allowed values of enum facts, in the contract's order (best grade first).
ENUM_VALUES: Final[dict[str, tuple[str, ...]]] = {
    "entity_type": CATALOG["entity_type"].values,
    "size_class": CATALOG["size_class"].values,
    "tax_credit_grade": ("A", "B", "M", "C", "D"),
    "credit_grade": ("A+", "A", "B", "C", "D"),
}

# Facts an enterprise may self-declare (自愿填报) when no official figure exists, and the one
# extra declared figure used only for the size class.
DECLARABLE: Final[tuple[str, ...]] = ("employees", "annual_revenue", "total_assets")

# Money facts are in yuan.
MONEY_FACTS: Final[frozenset[str]] = frozenset(
    name for name, fact in CATALOG.items() if fact.unit == "元"
)
