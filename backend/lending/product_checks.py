"""Input checks for loan products, and the Chinese sentences of an eligibility rule.

Each check raises one DomainError naming the GraphQL input field, so ``check_product`` reports
every bad field of a product together (as ``backend.institutions.checks`` does for
institutions). The seed loader uses the same checks as ``publishLoanProduct``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from backend.consent.scopes import grantable_scopes
from backend.credit.sharing_list import load_sharing_list
from backend.errors import DomainError, ErrorCode, check_each
from backend.identity.regions import region_name, region_prefix
from backend.lending.models import ProductType
from backend.rules import check_rule
from matching.facts import CATALOG
from matching.rule_messages import UNKNOWN, describe
from matching.rules import Condition, ConditionResult, Negation, Node, RuleError, parse_rule

NAME_LENGTH = (2, 100)
MAX_AMOUNT = Decimal("1000000000")  # 10 亿元
TERM_MONTHS = (1, 360)
MAX_RATE = Decimal("0.24")
DESCRIPTION_MAX = 2000
MAX_TAGS = 10
TAG_MAX = 20
MAX_REGIONS = 50
CODE_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.\-]{0,59}")
# The scorecard's grades, best first (seed_products/scorecard.json, ranking.json's grade_order).
GRADES: tuple[str, ...] = tuple(reversed(CATALOG["credit_grade"].values))

#: The product's terms, in input order: what a version snapshot holds and an update may change.
FIELDS = (
    "code",
    "name",
    "product_type",
    "min_amount",
    "max_amount",
    "min_term_months",
    "max_term_months",
    "min_annual_rate",
    "max_annual_rate",
    "region_codes",
    "description",
    "tags",
    "eligibility",
    "required_scopes",
    "target_grade",
)


@dataclass(frozen=True)
class ProductFields:
    """A product's terms after every check: clean, normalised values."""

    code: str | None
    name: str
    product_type: str
    min_amount: Decimal
    max_amount: Decimal
    min_term_months: int
    max_term_months: int
    min_annual_rate: Decimal
    max_annual_rate: Decimal
    region_codes: list[str]
    description: str
    tags: list[str]
    eligibility: dict[str, Any]
    required_scopes: list[str]
    target_grade: str | None

    def snapshot(self) -> dict[str, Any]:
        """Every field as JSON: amounts and rates as plain decimal strings ("3000000", "0.0435"),
        so no precision is lost and equal terms give equal snapshots whatever the database
        returned ("0.043500")."""
        data = asdict(self)
        for key, value in data.items():
            if isinstance(value, Decimal):
                data[key] = decimal_text(value)
        return data


def decimal_text(value: Decimal) -> str:
    """A decimal without exponent or trailing zeros: ``3000000``, ``0.0435``."""
    return format(value.normalize(), "f")


def _error(field: str, message: str) -> DomainError:
    return DomainError(ErrorCode.VALIDATION_ERROR, message, field=field)


def check_text(value: Any, field: str, label: str, low: int, high: int) -> str:
    """A required text of ``low`` to ``high`` characters, stripped."""
    text = value.strip() if isinstance(value, str) else ""
    if not low <= len(text) <= high:
        raise _error(field, f"{label}应为 {low} 到 {high} 个字符")
    return text


def _code(value: Any) -> str | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    text = value.strip() if isinstance(value, str) else ""
    if not CODE_PATTERN.fullmatch(text):
        raise _error("code", "产品代码应为 1 到 60 位字母、数字或 _ . -，且以字母或数字开头")
    return text


def _product_type(value: Any) -> str:
    try:
        return ProductType(getattr(value, "value", value)).value
    except ValueError as exc:
        raise _error("productType", "产品类型应为 CREDIT、GUARANTEED、MORTGAGE 或 PLEDGE") from exc


def _decimal(value: Any) -> Decimal | None:
    if isinstance(value, bool) or not isinstance(value, int | float | str | Decimal):
        return None
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        return None
    return number if number.is_finite() else None


def _amount(value: Any, field: str, label: str) -> Decimal:
    number = _decimal(value)
    if number is None or not 0 < number <= MAX_AMOUNT:
        raise _error(field, f"{label}应为大于 0、不超过 10 亿的金额（元）")
    if number != number.quantize(Decimal("0.01")):
        raise _error(field, f"{label}最多精确到分（两位小数）")
    return number.quantize(Decimal("0.01"))


def _term(value: Any, field: str, label: str) -> int:
    low, high = TERM_MONTHS
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise _error(field, f"{label}应为 {low} 到 {high} 之间的整月数")
    return value


def _rate(value: Any, field: str, label: str) -> Decimal:
    number = _decimal(value)
    if number is None or not 0 <= number <= MAX_RATE:
        raise _error(
            field,
            f"{label}以小数表示，应在 0 到 {MAX_RATE} 之间（年利率 4.35% 请填 0.0435）",
        )
    if number != number.quantize(Decimal("0.000001")):
        raise _error(field, f"{label}最多六位小数（如 0.0435）")
    return number


def _ordered(low: Any, high: Any, field: str, message: str) -> None:
    """Both bounds passed their own checks: the upper one must not be below the lower one."""
    if low > high:
        raise _error(field, message)


def _list(values: Any, field: str, label: str) -> list[Any]:
    if values is None:
        return []
    if not isinstance(values, list | tuple):
        raise _error(field, f"{label}应为列表")
    return list(values)


def check_regions(values: Any) -> list[str]:
    """The ``regionCodes`` input as distinct division-code prefixes (empty: nationwide)."""
    codes = _list(values, "regionCodes", "服务地区")
    if len(codes) > MAX_REGIONS:
        raise _error("regionCodes", f"服务地区最多 {MAX_REGIONS} 个")
    prefixes: list[str] = []
    unknown: list[str] = []
    for code in codes:
        prefix = region_prefix(code) if isinstance(code, str) else None
        if prefix is None:
            unknown.append(str(code))
        elif prefix not in prefixes:
            prefixes.append(prefix)
    if unknown:
        raise _error(
            "regionCodes",
            f"行政区划代码无效：{'、'.join(unknown[:5])}（应为 2、4 或 6 位现行代码；"
            "不填表示全国）",
        )
    return prefixes


def _description(value: Any) -> str:
    text = value.strip() if isinstance(value, str) else ""
    if value is not None and not isinstance(value, str):
        raise _error("description", "产品介绍应为文字")
    if len(text) > DESCRIPTION_MAX:
        raise _error("description", f"产品介绍不超过 {DESCRIPTION_MAX} 个字符")
    return text


def _tags(values: Any) -> list[str]:
    tags: list[str] = []
    for value in _list(values, "tags", "标签"):
        tag = value.strip() if isinstance(value, str) else ""
        if not 1 <= len(tag) <= TAG_MAX:
            raise _error("tags", f"每个标签应为 1 到 {TAG_MAX} 个字符")
        if tag not in tags:
            tags.append(tag)
    if len(tags) > MAX_TAGS:
        raise _error("tags", f"标签最多 {MAX_TAGS} 个")
    return tags


def _eligibility(value: Any) -> dict[str, Any]:
    if value is None or value == {}:
        raise DomainError(
            ErrorCode.INVALID_RULE, '请填写准入规则（规则语言，如 {"all": [...]}）', "eligibility"
        )
    check_rule(value, "eligibility")
    return dict(value)


def _scopes(values: Any) -> list[str]:
    scopes: list[str] = []
    for value in _list(values, "requiredScopes", "授权范围"):
        scope = value.strip() if isinstance(value, str) else str(value)
        if scope not in scopes:
            scopes.append(scope)
    grantable = grantable_scopes()
    sharing = load_sharing_list()
    for scope in scopes:
        if scope in grantable:
            continue
        spec = sharing.get(scope)
        message = (
            f"“{spec.label}”为公开信息，无需授权即可查询，不必列入"
            if spec
            else f"未知的授权范围“{scope}”（应为共享清单中需授权的类别代码或 legal_rep_identity）"
        )
        raise _error("requiredScopes", message)
    return scopes


def _grade(value: Any) -> str | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    grade = value.strip() if isinstance(value, str) else ""
    if grade not in GRADES:
        raise _error("targetGrade", f"目标等级应为 {'、'.join(GRADES)} 之一")
    return grade


def region_filter(code: str | None) -> str | None:
    """A catalogue's region filter as a prefix (``371300`` → ``3713``), or None for none."""
    if code is None or not code.strip():
        return None
    prefix = region_prefix(code)
    if prefix is None:
        raise _error("regionCode", "行政区划代码无效（2、4 或 6 位现行代码）")
    return prefix


def type_filter(value: ProductType | str | None) -> str | None:
    """A catalogue's product-type filter, or None for every type."""
    if value is None:
        return None
    try:
        return ProductType(getattr(value, "value", value)).value
    except ValueError as exc:
        raise _error("productType", "产品类型无效") from exc


def check_product(raw: Mapping[str, Any]) -> ProductFields:
    """Check every field of a product (snake_case keys of ``FIELDS``); all failures at once."""
    get = raw.get
    checked: list[Any] = check_each(
        lambda: _code(get("code")),
        lambda: check_text(get("name"), "name", "产品名称", *NAME_LENGTH),
        lambda: _product_type(get("product_type")),
        lambda: _amount(get("min_amount"), "minAmount", "最低额度"),
        lambda: _amount(get("max_amount"), "maxAmount", "最高额度"),
        lambda: _term(get("min_term_months"), "minTermMonths", "最短期限"),
        lambda: _term(get("max_term_months"), "maxTermMonths", "最长期限"),
        lambda: _rate(get("min_annual_rate"), "minAnnualRate", "最低年利率"),
        lambda: _rate(get("max_annual_rate"), "maxAnnualRate", "最高年利率"),
        lambda: check_regions(get("region_codes")),
        lambda: _description(get("description")),
        lambda: _tags(get("tags")),
        lambda: _eligibility(get("eligibility")),
        lambda: _scopes(get("required_scopes")),
        lambda: _grade(get("target_grade")),
    )
    (
        code,
        name,
        product_type,
        min_amount,
        max_amount,
        min_term,
        max_term,
        min_rate,
        max_rate,
        regions,
        description,
        tags,
        eligibility,
        scopes,
        grade,
    ) = checked
    check_each(
        lambda: _ordered(min_amount, max_amount, "maxAmount", "最高额度不能低于最低额度"),
        lambda: _ordered(min_term, max_term, "maxTermMonths", "最长期限不能短于最短期限"),
        lambda: _ordered(min_rate, max_rate, "maxAnnualRate", "最高年利率不能低于最低年利率"),
    )
    return ProductFields(
        code=code,
        name=name,
        product_type=product_type,
        min_amount=min_amount,
        max_amount=max_amount,
        min_term_months=min_term,
        max_term_months=max_term,
        min_annual_rate=min_rate,
        max_annual_rate=max_rate,
        region_codes=regions,
        description=description,
        tags=tags,
        eligibility=eligibility,
        required_scopes=scopes,
        target_grade=grade,
    )


# --- the rule in words ----------------------------------------------------------------------


def _asks(condition: Condition, negated: bool) -> str:
    if condition.op == "within_region":  # places by name: 注册地需在山东省临沂市范围内
        places = "、".join(region_name(code.ljust(6, "0")) or code for code in condition.value)
        return f"{condition.fact.label}{'不能' if negated else '需'}在{places}范围内"
    # rule_messages says "<what the rule asks>，当前<what the firm has>"; with no firm the second
    # half is the fixed "暂无数据", so what is left is the requirement in the rule's own words.
    result = ConditionResult(condition, None, None, negated)
    return describe(result).removesuffix(f"，当前{UNKNOWN}")


def _kind(node: Node, negated: bool) -> str:
    """``all`` or ``any`` as the group means it (under ``not``, De Morgan swaps them)."""
    kind = getattr(node, "kind", "all")
    if negated:
        return "any" if kind == "all" else "all"
    return kind


def _phrase(node: Node, negated: bool, nested: bool) -> str:
    if isinstance(node, Condition):
        return _asks(node, negated)
    if isinstance(node, Negation):
        return _phrase(node.child, not negated, nested)
    parts = [_phrase(child, negated, True) for child in node.children]
    if _kind(node, negated) == "all":
        text = "，且".join(parts)
        return f"（{text}）" if nested else text
    text = "；或".join(parts)
    return f"（以下满足其一：{text}）" if nested else f"以下满足其一：{text}"


def _top(node: Node, negated: bool) -> list[tuple[Node, bool]]:
    """The sentences of a rule: the children of a top-level ``all`` one by one."""
    if isinstance(node, Negation):
        return _top(node.child, not negated)
    if isinstance(node, Condition) or _kind(node, negated) == "any":
        return [(node, negated)]
    items: list[tuple[Node, bool]] = []
    for child in node.children:
        items.extend(_top(child, negated))
    return items


def eligibility_sentences(raw: Any) -> list[str]:
    """The rule as Chinese sentences, one per condition that must hold (``成立年限需≥2年``);
    an ``any`` group is one sentence. Empty for a rule that does not parse."""
    try:
        rule = parse_rule(raw)
    except RuleError:
        return []
    return [_phrase(node, negated, False) for node, negated in _top(rule.root, False)]
