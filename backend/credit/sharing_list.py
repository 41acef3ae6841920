"""The sharing list (信用信息共享清单) loaded from ``seed_products/sharing_list.json``.

The list says, per category, which fields a record has, their types, which are required, the
natural key, the default disclosure and which fields are personal data (encrypted at rest,
masked on output). Provinces change the file, not the code.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

FIELD_TYPES = frozenset(
    {
        "string",
        "date",
        "month",
        "year",
        "money",
        "decimal",
        "integer",
        "boolean",
        "enum",
        "uscc",
        "id_number",
        "industry_code",
        "region_code",
    }
)
MASKINGS = frozenset({"id_number", "phone", "name", "full"})
DEFAULT_PATH = Path(__file__).resolve().parents[2] / "seed_products" / "sharing_list.json"


class SharingListError(ValueError):
    """The sharing-list file is not well formed."""


@dataclass(frozen=True)
class FieldSpec:
    """One field of a category."""

    name: str
    label: str
    type: str
    required: bool = False
    personal: bool = False
    masking: str | None = None
    disclosure: str | None = None
    max_length: int | None = None
    values: tuple[str, ...] = ()
    default: Any = None
    not_future: bool = False
    minimum: float | None = None


@dataclass(frozen=True)
class PublicWhen:
    """An authorised-only category whose records are public when a field has one of ``values``
    (纳税信用 A 级 is published; other grades are not)."""

    field: str
    values: tuple[str, ...]


@dataclass(frozen=True)
class CategorySpec:
    """One category of the sharing list."""

    code: str
    label: str
    disclosure: str
    natural_key: tuple[str, ...]
    fields: tuple[FieldSpec, ...]
    occurred_on_field: str | None = None
    visible_until_field: str | None = None
    public_when: PublicWhen | None = None
    source_note: str | None = None

    def field(self, name: str) -> FieldSpec | None:
        """The field called ``name``, if the category has one."""
        return next((f for f in self.fields if f.name == name), None)


@dataclass(frozen=True)
class SharingList:
    """All categories, by code."""

    version: str
    categories: dict[str, CategorySpec]

    def get(self, code: str) -> CategorySpec | None:
        """The category ``code``, or None when the list has no such category."""
        return self.categories.get(code)


def _parse_field(raw: dict[str, Any], where: str) -> FieldSpec:
    if raw.get("type") not in FIELD_TYPES:
        raise SharingListError(f"{where}: unknown field type {raw.get('type')!r}")
    if raw["type"] == "enum" and not raw.get("values"):
        raise SharingListError(f"{where}: an enum field needs values")
    if raw.get("personal") and raw.get("masking") not in MASKINGS:
        raise SharingListError(
            f"{where}: a personal field needs masking, one of {sorted(MASKINGS)}"
        )
    if raw.get("disclosure") not in (None, "public", "authorised"):
        raise SharingListError(f"{where}: disclosure must be public or authorised")
    return FieldSpec(
        name=raw["name"],
        label=raw.get("label", raw["name"]),
        type=raw["type"],
        required=bool(raw.get("required", False)),
        personal=bool(raw.get("personal", False)),
        masking=raw.get("masking"),
        disclosure=raw.get("disclosure"),
        max_length=raw.get("max_length"),
        values=tuple(raw.get("values", ())),
        default=raw.get("default"),
        not_future=bool(raw.get("not_future", False)),
        minimum=raw.get("minimum"),
    )


def parse_sharing_list(document: dict[str, Any]) -> SharingList:
    """Check and convert the JSON document of the sharing list."""
    categories: dict[str, CategorySpec] = {}
    for index, raw in enumerate(document.get("categories", [])):
        where = f"categories[{index}]"
        fields = tuple(
            _parse_field(f, f"{where}.fields[{i}]") for i, f in enumerate(raw.get("fields", []))
        )
        names = {f.name for f in fields}
        if "uscc" not in names:
            raise SharingListError(f"{where}: every category needs a uscc field")
        key = tuple(raw.get("natural_key", ()))
        if not key or not set(key) <= names:
            raise SharingListError(f"{where}: natural_key must name fields of the category")
        if any(f.personal for f in fields if f.name in key):
            # Natural keys are stored in clear for look-ups: personal data may not be part of one.
            raise SharingListError(f"{where}: a natural_key field may not be personal")
        if raw.get("disclosure") not in {"public", "authorised"}:
            raise SharingListError(f"{where}: disclosure must be public or authorised")
        types = {f.name: f.type for f in fields}
        for key_name in ("occurred_on_field", "visible_until_field"):
            if raw.get(key_name) and types.get(raw[key_name]) not in {"date", "month", "year"}:
                raise SharingListError(f"{where}: {key_name} must name a date field")
        public_when = None
        if raw.get("public_when"):
            rule = raw["public_when"]
            if rule.get("field") not in names or not rule.get("in"):
                raise SharingListError(f"{where}: public_when needs a field and values ('in')")
            public_when = PublicWhen(field=rule["field"], values=tuple(rule["in"]))
        spec = CategorySpec(
            code=raw["code"],
            label=raw["label"],
            disclosure=raw["disclosure"],
            natural_key=key,
            fields=fields,
            occurred_on_field=raw.get("occurred_on_field"),
            visible_until_field=raw.get("visible_until_field"),
            public_when=public_when,
            source_note=raw.get("source"),
        )
        if spec.code in categories:
            raise SharingListError(f"{where}: duplicate category {spec.code}")
        categories[spec.code] = spec
    return SharingList(version=str(document.get("version", "")), categories=categories)


@cache
def load_sharing_list(path: Path = DEFAULT_PATH) -> SharingList:
    """Load (once per path) the sharing list from its JSON file."""
    with path.open(encoding="utf-8") as handle:
        return parse_sharing_list(json.load(handle))
