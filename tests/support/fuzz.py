"""Generated GraphQL operations for the fuzz suite (hypothesis-graphql over the real schema).

Every document is drawn from the schema the app serves. Scalars get strategies that mix values
the services accept (demo USCCs, real row ids, ISO dates, rules and records that pass checks)
with values they must refuse cleanly (impossible dates, ``NaN``, SQL and script text, NUL bytes,
right-to-left overrides, 10,000-character strings), so that generated calls reach past the first
check. A share of documents breaks the schema on purpose (hypothesis-graphql's negative mode).

Size and randomness come from the environment: ``XINRONG_FUZZ_EXAMPLES`` generated calls per role
(small in ``make test``, large in ``make fuzz``); ``XINRONG_FUZZ_RANDOM=1`` draws a new random
sequence each run instead of the fixed, reproducible one CI uses.
"""

from __future__ import annotations

import os
import zlib
from datetime import UTC, date, datetime
from decimal import Decimal
from functools import cache
from typing import Any

import graphql
import strawberry
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis_graphql import Mode, mutations, nodes, queries
from strawberry.permission import PermissionExtension
from strawberry.types.base import StrawberryObjectDefinition
from strawberry.types.field import StrawberryField

from backend.settings import Settings
from graphql_schema.permissions import HasRole, IsAuthenticated
from graphql_schema.schema import build_schema
from tests.support.builders import DEMO_ENTERPRISES

DEFAULT_EXAMPLES = 12

# Text that must be stored and returned verbatim, never executed, never a 500.
ABUSE_STRINGS = [
    "' OR 1=1 --",
    "'; DROP TABLE enterprises; --",
    '"; DROP TABLE accounts; --',
    "<script>alert(1)</script>",
    "\u0000",
    "a\u0000b",
    "\u202eevil\u202c",
    "\u200f\u200e\ufeff",
    "%s%s%n",
    "${jndi:ldap://127.0.0.1/a}",
    "../../etc/passwd",
    "🙂" * 20,
    "x" * 10_000,
    "   ",
    "",
]

# Values services accept somewhere: codes, categories, region codes, passwords, cursors.
PLAUSIBLE_STRINGS = [
    *(e.uscc for e in DEMO_ENTERPRISES),
    *(e.name for e in DEMO_ENTERPRISES),
    "registration",
    "admin_penalty",
    "tax",
    "water_fee",
    "dishonest_list",
    "legal_rep_identity",
    "declaration",
    "repair",
    "37",
    "3713",
    "371302",
    "C39",
    "Xinrong#2026a",
    "测试产品",
    "经营周转",
    "MQ==",
    "MjA=",
]


def fuzz_examples() -> int:
    """Generated calls per role: ``XINRONG_FUZZ_EXAMPLES`` or the small CI default."""
    return int(os.environ.get("XINRONG_FUZZ_EXAMPLES", DEFAULT_EXAMPLES))


def fuzz_seed(role: str) -> int | None:
    """A fixed seed per role (each role gets its own sequence) unless ``XINRONG_FUZZ_RANDOM=1``."""
    if os.environ.get("XINRONG_FUZZ_RANDOM") == "1":
        return None
    return zlib.crc32(role.encode())


def fuzz_settings() -> settings:
    """Hypothesis settings: no deadline (a call can wait for the database), no example
    database (a failure prints the seed or blob that reproduces it)."""
    return settings(
        max_examples=fuzz_examples(),
        deadline=None,
        database=None,
        print_blob=True,
        suppress_health_check=[
            HealthCheck.too_slow,
            HealthCheck.data_too_large,
            HealthCheck.filter_too_much,
            HealthCheck.large_base_example,
        ],
    )


def value_node(value: Any) -> graphql.ValueNode:
    """A GraphQL literal for a plain Python value (dicts, lists, strings, numbers, None)."""
    if value is None:
        return nodes.Null
    if isinstance(value, bool):
        return nodes.Boolean(value)
    if isinstance(value, int):
        return nodes.Int(value)
    if isinstance(value, float):
        return nodes.Float(value)
    if isinstance(value, dict):
        fields = [
            graphql.ObjectFieldNode(name=graphql.NameNode(value=k), value=value_node(v))
            for k, v in value.items()
        ]
        return nodes.Object(fields)
    if isinstance(value, list):
        return nodes.List([value_node(v) for v in value])
    return nodes.String(value)


def _text(*, with_identity: bool) -> st.SearchStrategy[str]:
    """Strings: random text, abuse text, and values the services accept."""
    plausible = list(PLAUSIBLE_STRINGS)
    if with_identity:
        # Full phone and ID numbers only where the leak guard does not read the response.
        plausible += ["13800138000", "18812345678", DEMO_ENTERPRISES[0].id_number]
    return st.one_of(
        st.sampled_from(plausible),
        st.sampled_from(plausible),
        st.text(max_size=40),
        st.sampled_from(ABUSE_STRINGS),
        st.text(alphabet="0123456789-", min_size=1, max_size=20),
    )


def _ids() -> st.SearchStrategy[graphql.ValueNode]:
    """Row ids: mostly ones that exist in a demo database, some that cannot be ids."""
    real = st.integers(min_value=1, max_value=40)
    junk = st.sampled_from(
        ["0", "-1", "abc", "1.5", " 7", "١", "9" * 30, "9223372036854775808", "", "1; DROP"]
    )
    return st.one_of(
        real.map(nodes.String), real.map(nodes.Int), real.map(nodes.String), junk.map(nodes.String)
    )


def _dates() -> st.SearchStrategy[graphql.ValueNode]:
    valid = st.dates(min_value=date(1990, 1, 1), max_value=date(2035, 12, 31)).map(
        lambda d: d.isoformat()
    )
    invalid = st.sampled_from(
        ["2026-02-30", "2026-13-01", "26-1-1", "", "today", "0000-01-01", "99999-01-01"]
    )
    return st.one_of(
        valid.map(nodes.String), invalid.map(nodes.String), st.integers().map(nodes.Int)
    )


def _datetimes() -> st.SearchStrategy[graphql.ValueNode]:
    moments = st.datetimes(
        min_value=datetime(1990, 1, 1), max_value=datetime(2035, 12, 31), timezones=st.just(UTC)
    )
    valid = moments.map(lambda m: m.isoformat())
    naive = moments.map(lambda m: m.replace(tzinfo=None).isoformat())
    invalid = st.sampled_from(
        ["2026-01-01T25:00:00Z", "yesterday", "", "2026-01-01T00:00:00+99:00"]
    )
    return st.one_of(valid, valid, valid, naive, invalid).map(nodes.String)


def _decimals() -> st.SearchStrategy[graphql.ValueNode]:
    valid = st.decimals(
        min_value=Decimal("0.01"), max_value=Decimal("100000000"), places=2, allow_nan=False
    ).map(str)
    invalid = st.sampled_from(
        ["NaN", "Infinity", "-Infinity", "-1", "0", "1e999999", "1E-999999", "abc", "", "1,000"]
    )
    return st.one_of(
        *[valid.map(nodes.String)] * 3,
        invalid.map(nodes.String),
        st.integers().map(nodes.Int),
        st.floats(allow_nan=False, allow_infinity=False).map(nodes.Float),
    )


RULES = [
    {"all": [{"fact": "years_in_business", "op": "gte", "value": 2}]},
    {"fact": "region_code", "op": "within_region", "value": "3713"},
    {"not": {"fact": "on_dishonest_list", "op": "eq", "value": True}},
    {"fact": "no_such_fact", "op": "eq", "value": 1},
    {"fact": "tax_credit_grade", "op": "between", "value": "A"},
    {"all": [{"any": [{"not": {"all": []}}]}]},
]

RECORDS = [
    {
        "uscc": DEMO_ENTERPRISES[0].uscc,
        "name": DEMO_ENTERPRISES[0].name,
        "year": 2025,
        "tax_credit_grade": "A",
        "tax_paid": "120000",
        "in_arrears": False,
    },
    {"uscc": "'; DROP TABLE enterprises; --", "name": "<script>alert(1)</script>"},
    {"uscc": DEMO_ENTERPRISES[1].uscc, "name": DEMO_ENTERPRISES[1].name, "address": "\u0000"},
]


def _json_values() -> st.SearchStrategy[Any]:
    scalars = st.one_of(
        st.none(),
        st.booleans(),
        st.integers(),
        st.floats(allow_nan=False, allow_infinity=False),
        st.text(max_size=20),
        st.sampled_from(ABUSE_STRINGS),
    )
    nested = st.recursive(
        scalars,
        lambda inner: st.one_of(
            st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=10), inner, max_size=4)
        ),
        max_leaves=12,
    )
    # Never a bare null: every JSON argument is non-null, so null only tests validation.
    return st.one_of(
        nested.filter(lambda v: v is not None), st.sampled_from(RULES), st.sampled_from(RECORDS)
    )


def scalar_strategies(*, with_identity: bool) -> dict[str, st.SearchStrategy[graphql.ValueNode]]:
    """Strategies for the schema's scalars, each giving valid and invalid literals."""
    return {
        "String": _text(with_identity=with_identity).map(nodes.String),
        "ID": _ids(),
        "Date": _dates(),
        "DateTime": _datetimes(),
        "Decimal": _decimals(),
        "JSON": _json_values().map(value_node),
    }


@cache
def _strawberry_schema() -> strawberry.Schema:
    return build_schema(Settings())


@cache
def served_schema() -> graphql.GraphQLSchema:
    """The graphql-core schema the app serves (the same SDL in every environment)."""
    return _strawberry_schema()._schema


def _allows(field: StrawberryField, role: str) -> bool:
    """Whether ``role`` passes the permissions declared on a root field."""
    for extension in field.extensions:
        if not isinstance(extension, PermissionExtension):
            continue
        for permission in extension.permissions:
            if isinstance(permission, IsAuthenticated) and role == "ANONYMOUS":
                return False
            if isinstance(permission, HasRole) and role not in permission.roles:
                return False
    return True


@cache
def root_fields(kind: str, role: str | None = None) -> tuple[str, ...]:
    """Root field names of ``kind`` (Query or Mutation); only those ``role`` may call if given."""
    schema = _strawberry_schema()
    definition = schema.get_type_by_name(kind)
    assert isinstance(definition, StrawberryObjectDefinition)
    return tuple(
        schema.config.name_converter.get_graphql_name(field)
        for field in definition.fields
        if role is None or _allows(field, role)
    )


@cache
def _one_field(kind: str, name: str, negative: bool, with_identity: bool) -> st.SearchStrategy[str]:
    generate = queries if kind == "Query" else mutations
    return generate(
        served_schema(),
        fields=[name],
        custom_scalars=scalar_strategies(with_identity=with_identity),
        mode=Mode.NEGATIVE if negative else Mode.POSITIVE,
    )


def operations(role: str) -> st.SearchStrategy[str]:
    """Generated documents for ``role``: one root field each, mostly one the role may call,
    mostly valid; some call fields of other roles, some break the schema on purpose.

    Full phone and ID numbers are left out for institutions, whose every response the leak
    guard reads: an institution's own input echoed back is not a leak.
    """
    with_identity = role != "INSTITUTION"

    def document(choice: tuple[str, str, bool]) -> st.SearchStrategy[str]:
        kind, name, negative = choice
        # Only arguments can break the schema (a field without any has nothing to violate).
        has_arguments = bool(served_schema().get_type(kind).fields[name].args)  # type: ignore[union-attr]
        return _one_field(kind, name, negative and has_arguments, with_identity)

    def fields(kind: str) -> st.SearchStrategy[str]:
        own = root_fields(kind, role)
        anyone = st.sampled_from(root_fields(kind))
        return st.one_of(st.sampled_from(own), st.sampled_from(own), anyone) if own else anyone

    kinds = st.sampled_from(["Query", "Mutation"])
    choice = kinds.flatmap(
        lambda kind: st.tuples(st.just(kind), fields(kind), st.sampled_from([False] * 5 + [True]))
    )
    return choice.flatmap(document)
