"""Every string input of every mutation, found by walking the schema, and otherwise-valid values
to send around it.

``string_inputs()`` lists each place a mutation takes text (a top-level argument or a field of an
input object, at any depth; a list of strings counts as one place). ``mutation_call()`` builds the
document and variables for one mutation with valid values everywhere except the one place given,
which gets the hostile text. Valid values come from field names where a generic one would not pass
(phones, passwords, USCCs, rules), else from the type.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import graphql

from tests.support.builders import DEMO_ENTERPRISES, GOOD_PASSWORD, new_phone, new_uscc
from tests.support.fuzz import root_fields, served_schema

Path = tuple[str, ...]
_serial = itertools.count(1)

RULE = {"all": [{"fact": "years_in_business", "op": "gte", "value": 1}]}
TAX_RECORD = {
    "uscc": DEMO_ENTERPRISES[0].uscc,
    "name": DEMO_ENTERPRISES[0].name,
    "year": 2025,
    "tax_credit_grade": "A",
    "tax_paid": "1500000.00",
    "in_arrears": False,
}

# Valid values by input field name, where the type alone would not give one.
_BY_NAME: dict[str, Callable[[], Any]] = {
    "phone": new_phone,
    "password": lambda: GOOD_PASSWORD,
    "displayName": lambda: "测试用户",
    "uscc": new_uscc,
    "name": lambda: "测试名称",
    "legalRepName": lambda: DEMO_ENTERPRISES[1].legal_rep_name,
    "legalRepIdNumber": lambda: DEMO_ENTERPRISES[1].id_number,
    "department": lambda: "信用建设科",
    "regionCodes": lambda: ["3713"],
    "reportNumber": lambda: f"AQ-2026-{next(_serial):04d}",
    "assessor": lambda: "山东省网络安全测评中心",
    "summary": lambda: "测评通过，未发现高危漏洞，符合接入要求",
    "reason": lambda: "经核实，情况属实",
    "batchId": lambda: f"abuse-{next(_serial)}",
    "category": lambda: "tax",
    "records": lambda: [TAX_RECORD],
    "claim": lambda: {"tax_credit_grade": "A"},
    "content": lambda: {"employees": 12},
    "scopes": lambda: ["tax"],
    "description": lambda: "面向小微企业的信用贷款",
    "tags": lambda: ["小微"],
    "requiredScopes": lambda: ["tax"],
    "targetGrade": lambda: "A",
    "code": lambda: f"ABUSE-{next(_serial)}",
    "purpose": lambda: "经营周转",
    "message": lambda: "欢迎申请本行产品",
    "title": lambda: "小微企业贷款贴息",
    "issuer": lambda: "临沂市发展改革委员会",
    "body": lambda: "符合条件的企业可申请贴息。",
    "eligibility": lambda: RULE,
    "minAmount": lambda: "10000",
    "maxAmount": lambda: "3000000",
    "amount": lambda: "100000",
    "minAnnualRate": lambda: "0.03",
    "maxAnnualRate": lambda: "0.08",
    "annualRate": lambda: "0.05",
    "approvedAmount": lambda: "100000",
    "minTermMonths": lambda: 6,
    "maxTermMonths": lambda: 36,
    "termMonths": lambda: 12,
    "validDays": lambda: 30,
    "validUntil": lambda: "2027-12-31",
    "validFrom": lambda: "2026-01-01",
    "assessedOn": lambda: "2026-06-01",
    "disbursedOn": lambda: "2026-11-01",
    "reportedOn": lambda: "2026-11-01",
    "ids": lambda: ["1"],
    # The current text's version is filled in by the service when none is sent.
    "commitmentVersion": lambda: None,
    "consentVersion": lambda: None,
}
_BY_TYPE_AND_NAME: dict[str, Any] = {
    "SubmitDeclarationInput.category": "operations",
    "SubmitDeclarationInput.content": {},
}
_ENUMS = {"Role": "GOVERNMENT"}  # staff accounts: the first value (ENTERPRISE) self-registers
_BY_TYPE: dict[str, Any] = {
    "String": "测试",
    "ID": "1",
    "Int": 12,
    "Float": 1.0,
    "Boolean": True,
    "Decimal": "100000",
    "Date": "2026-11-01",
    "DateTime": "2026-11-01T08:00:00+08:00",
    "JSON": {},
}


@dataclass(frozen=True)
class StringInput:
    """One place a mutation takes text: the mutation and the path to the argument or field."""

    mutation: str
    path: Path

    def __str__(self) -> str:
        return f"{self.mutation}({'.'.join(self.path)})"


def _named(type_: graphql.GraphQLInputType) -> graphql.GraphQLNamedType:
    return graphql.get_named_type(type_)


def _is_list(type_: graphql.GraphQLInputType) -> bool:
    return isinstance(graphql.get_nullable_type(type_), graphql.GraphQLList)


def _paths(type_: graphql.GraphQLInputType, prefix: Path, kinds: frozenset[str]) -> list[Path]:
    named = _named(type_)
    if isinstance(named, graphql.GraphQLScalarType):
        return [prefix] if named.name in kinds else []
    if isinstance(named, graphql.GraphQLInputObjectType):
        found: list[Path] = []
        for name, field in named.fields.items():
            found += _paths(field.type, (*prefix, name), kinds)
        return found
    return []


def inputs_of_kind(*kinds: str) -> list[StringInput]:
    """Every place any mutation takes a value of one of the scalar ``kinds``."""
    found = []
    for name, field in served_schema().mutation_type.fields.items():  # type: ignore[union-attr]
        for arg_name, arg in field.args.items():
            found += [StringInput(name, p) for p in _paths(arg.type, (arg_name,), frozenset(kinds))]
    return found


def string_inputs() -> list[StringInput]:
    """Every place any mutation takes text (String, and ID, which is text on the wire)."""
    return inputs_of_kind("String", "ID")


def _valid(name: str, type_: graphql.GraphQLInputType, owner: str = "") -> Any:
    named = _named(type_)
    if isinstance(named, graphql.GraphQLInputObjectType):
        return {
            field_name: _valid(field_name, field.type, named.name)
            for field_name, field in named.fields.items()
            if graphql.is_non_null_type(field.type) or _named(field.type).name == "String"
        }
    if f"{owner}.{name}" in _BY_TYPE_AND_NAME:
        return _BY_TYPE_AND_NAME[f"{owner}.{name}"]
    if isinstance(named, graphql.GraphQLEnumType):
        value = _ENUMS.get(named.name, next(iter(named.values)))
    elif name in _BY_NAME:
        return _BY_NAME[name]()
    else:
        value = _BY_TYPE[named.name]
    return [value] if _is_list(type_) else value


def _place(value: Any, path: Path, text: Any, type_: graphql.GraphQLInputType) -> Any:
    if not path:
        return [text] if _is_list(type_) else text
    named = _named(type_)
    assert isinstance(named, graphql.GraphQLInputObjectType)
    field = named.fields[path[0]]
    return {**value, path[0]: _place(value.get(path[0]), path[1:], text, field.type)}


def caller_role(mutation: str) -> str:
    """Who calls ``mutation`` in the sweep: anonymous where allowed, else the first role that
    passes its declared permissions (the enterprise before staff)."""
    for role in ("ANONYMOUS", "ENTERPRISE", "INSTITUTION", "GOVERNMENT", "DATA_PROVIDER"):
        if mutation in root_fields("Mutation", role):
            return role
    return "AUDITOR"


def _selection(type_: graphql.GraphQLOutputType) -> str:
    named = graphql.get_named_type(type_)
    assert isinstance(named, graphql.GraphQLObjectType)
    if "errors" in named.fields:
        return "{ __typename errors { code field message } }"
    return "{ __typename }"


def mutation_call(target: StringInput, text: Any) -> tuple[str, dict[str, Any]]:
    """The document and variables calling ``target.mutation`` with valid values, except ``text``
    at ``target.path``."""
    field = served_schema().mutation_type.fields[target.mutation]  # type: ignore[union-attr]
    variables: dict[str, Any] = {}
    for arg_name, arg in field.args.items():
        if graphql.is_non_null_type(arg.type) or arg_name == target.path[0]:
            variables[arg_name] = _valid(arg_name, arg.type)
    arg_type = field.args[target.path[0]].type
    variables[target.path[0]] = _place(
        {target.path[0]: variables[target.path[0]]}, target.path, text, _wrap(target, arg_type)
    )[target.path[0]]
    declared = ", ".join(f"${n}: {field.args[n].type}" for n in variables)
    passed = ", ".join(f"{n}: ${n}" for n in variables)
    arguments = f"({passed})" if passed else ""
    header = f"({declared})" if declared else ""
    return (
        f"mutation Abuse{header} {{ {target.mutation}{arguments} {_selection(field.type)} }}",
        variables,
    )


def _wrap(target: StringInput, arg_type: graphql.GraphQLInputType) -> graphql.GraphQLInputType:
    """An input object type holding the argument as a field, so ``_place`` walks from the top."""
    return graphql.GraphQLInputObjectType(
        "Arguments", {target.path[0]: graphql.GraphQLInputField(arg_type)}
    )
