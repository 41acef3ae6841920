"""The rule language for integrators: factsCatalog and validateRule (both public)."""

from __future__ import annotations

import strawberry
from strawberry.scalars import JSON

from backend.errors import DomainError
from backend.rules import check_rule
from graphql_schema.errors import UserError
from matching.facts import CATALOG, CATALOG_VERSION


@strawberry.type(description="枚举事实的一个取值")
class FactValue:
    value: str
    label: str


@strawberry.type(description="规则可引用的一个事实")
class FactDescription:
    name: str
    kind: str = strawberry.field(description="number、boolean、enum、region 或 industry")
    label: str
    unit: str
    operators: list[str]
    values: list[FactValue] = strawberry.field(description="枚举取值（有序枚举由低到高）")
    ordered: bool


@strawberry.type(description="事实目录（带版本）")
class FactsCatalog:
    version: str
    facts: list[FactDescription]


@strawberry.type(description="规则校验结果")
class RuleCheck:
    valid: bool
    facts: list[str] = strawberry.field(description="规则引用的事实")
    errors: list[UserError]


@strawberry.type
class RuleQuery:
    @strawberry.field(description="规则语言可引用的事实、单位和运算符（公开）")
    def facts_catalog(self) -> FactsCatalog:
        return FactsCatalog(
            version=CATALOG_VERSION,
            facts=[
                FactDescription(
                    name=fact.name,
                    kind=fact.kind,
                    label=fact.label,
                    unit=fact.unit,
                    operators=sorted(fact.operators),
                    values=[FactValue(value=v, label=fact.value_label(v)) for v in fact.values],
                    ordered=fact.ordered,
                )
                for fact in CATALOG.values()
            ],
        )

    @strawberry.field(
        description="校验一条准入规则（公开）：无效时返回 INVALID_RULE 及出错节点的路径"
    )
    def validate_rule(self, rule: JSON) -> RuleCheck:
        try:
            checked = check_rule(rule, field="rule")
        except DomainError as exc:
            return RuleCheck(valid=False, facts=[], errors=[UserError.from_domain(exc)])
        return RuleCheck(valid=True, facts=sorted(checked.facts), errors=[])
