"""Checking one incoming record against its sharing-list category."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from backend.credit.sharing_list import CategorySpec, FieldSpec
from backend.errors import DomainError, ErrorCode
from backend.identity.id_number import parse_id_number
from backend.identity.masking import mask_id_number, mask_person_name, mask_phone
from backend.identity.uscc import parse_uscc

NATURAL_KEY_MAX = 255
_INDUSTRY_CODE = re.compile(r"^[A-T](\d{2}(\d{1,2})?)?$")
_MONTH = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")
_REGION_CODE = re.compile(r"^\d{6}$")
_YEAR = re.compile(r"\d{4}")
_INTEGER = re.compile(r"-?\d+")
_TRUE = frozenset({"true", "1", "是", "y", "yes"})
_FALSE = frozenset({"false", "0", "否", "n", "no"})
_PLAIN_NUMBER = re.compile(r"(0|[1-9][0-9]{0,17})(?:\.([0-9]{1,10}))?")
# Bounds of the per-field caches of parsed values (a bulk file repeats codes, months and dates).
_KNOWN_CODES_MAX = 50_000
_KNOWN_TEXTS_MAX = 10_000
_MASKERS = {
    "id_number": mask_id_number,
    "phone": mask_phone,
    "name": mask_person_name,
    "full": lambda _value: "***",
}


@dataclass(frozen=True)
class UnparsableRow:
    """A line of a bulk file that could not be read as a record; it becomes a row error."""

    message: str


@dataclass(frozen=True, slots=True)
class CleanRecord:
    """A validated record: shown fields (personal ones masked), personal data, key and date."""

    fields: dict[str, Any]
    personal: dict[str, str]
    natural_key: str
    occurred_on: date | None
    visible_until: date | None = None


def _fail(
    spec: FieldSpec, message: str, code: ErrorCode = ErrorCode.VALIDATION_ERROR
) -> DomainError:
    return DomainError(code, f"{spec.label}（{spec.name}）：{message}", field=spec.name)


Converter = Callable[[Any, date], Any]


def _uscc_converter(spec: FieldSpec) -> Converter:
    name = spec.name
    known: dict[str, str] = {}  # valid codes seen (a code's parse never changes)

    def convert(value: Any, today: date) -> Any:
        text = str(value)
        code = known.get(text)
        if code is None:
            code = parse_uscc(text, field=name).code
            if len(known) >= _KNOWN_CODES_MAX:
                known.clear()
            known[text] = text if text == code else code
        return code

    return convert


def _id_number_converter(spec: FieldSpec) -> Converter:
    def convert(value: Any, today: date) -> Any:
        return parse_id_number(str(value), today=today, field=spec.name).number

    return convert


def _string_converter(spec: FieldSpec) -> Converter:
    limit = spec.max_length

    def convert(value: Any, today: date) -> Any:
        text = str(value).strip()
        if limit and len(text) > limit:
            raise _fail(spec, f"长度不能超过 {limit} 个字符")
        if "\x00" in text:  # PostgreSQL cannot store it: refuse the row, not the whole request
            raise _fail(spec, "不能含有空字符（U+0000）")
        return text

    return convert


def _enum_converter(spec: FieldSpec) -> Converter:
    allowed = frozenset(spec.values)

    def convert(value: Any, today: date) -> Any:
        text = str(value).strip()
        if text not in allowed:
            raise _fail(spec, f"取值应为 {'、'.join(spec.values)} 之一")
        return text

    return convert


def _date_converter(spec: FieldSpec) -> Converter:
    parsed_texts: dict[str, date] = {}  # the same dates come again and again in a big file

    def convert(value: Any, today: date) -> Any:
        text = str(value)
        parsed = parsed_texts.get(text)
        if parsed is None:
            try:
                parsed = date.fromisoformat(text.strip())
            except ValueError as exc:
                raise _fail(spec, "日期格式应为 YYYY-MM-DD") from exc
            if len(parsed_texts) < _KNOWN_TEXTS_MAX:
                parsed_texts[text] = parsed
        if spec.not_future and parsed > today:
            raise _fail(spec, "日期不能晚于今天")
        return parsed.isoformat()

    return convert


def _month_converter(spec: FieldSpec) -> Converter:
    parsed_texts: dict[str, tuple[str, tuple[int, int]]] = {}

    def convert(value: Any, today: date) -> Any:
        text = str(value)
        parsed = parsed_texts.get(text)
        if parsed is None:
            match = _MONTH.fullmatch(text.strip())
            if not match:
                raise _fail(spec, "月份格式应为 YYYY-MM")
            parsed = (match[0], (int(match[1]), int(match[2])))
            if len(parsed_texts) < _KNOWN_TEXTS_MAX:
                parsed_texts[text] = parsed
        if spec.not_future and parsed[1] > (today.year, today.month):
            raise _fail(spec, "月份不能晚于本月")
        return parsed[0]

    return convert


def _year_converter(spec: FieldSpec) -> Converter:
    def convert(value: Any, today: date) -> Any:
        text = str(value).strip()
        if isinstance(value, bool) or not _YEAR.fullmatch(text):
            raise _fail(spec, "年度应为四位数字")
        if not 1949 <= int(text) <= today.year + (0 if spec.not_future else 1):
            raise _fail(spec, "年度超出范围")
        return int(text)

    return convert


def _number_converter(spec: FieldSpec) -> Converter:
    money = spec.type == "money"
    floor = Decimal(str(spec.minimum)) if spec.minimum is not None else Decimal(0)
    cent = Decimal("0.01")
    # Plain non-negative ASCII numbers (most of a file) need no Decimal: the result is the text
    # itself, for money with two decimals. Only when no minimum above zero applies.
    plain = _PLAIN_NUMBER.fullmatch if floor <= 0 else None

    def convert(value: Any, today: date) -> Any:
        if isinstance(value, bool):
            raise _fail(spec, "应为数字")
        text = str(value).strip()
        match = plain(text) if plain is not None else None
        if match is not None:
            if not money:
                return text
            fraction = match[2]
            if fraction is None:
                return text + ".00"
            if len(fraction) <= 2:
                return f"{match[1]}.{fraction:0<2}"
        try:
            number = Decimal(text)
        except InvalidOperation as exc:
            raise _fail(spec, "金额应为数字（单位：元）" if money else "应为数字") from exc
        if not number.is_finite() or number < floor:
            raise _fail(spec, f"应为不小于 {floor} 的数字")
        return str(number.quantize(cent)) if money else str(number)

    return convert


def _integer_converter(spec: FieldSpec) -> Converter:
    def convert(value: Any, today: date) -> Any:
        if isinstance(value, bool) or not _INTEGER.fullmatch(str(value).strip()):
            raise _fail(spec, "应为整数")
        number = int(str(value).strip())
        if spec.minimum is not None and number < spec.minimum:
            raise _fail(spec, f"应为不小于 {spec.minimum:g} 的整数")
        return number

    return convert


def _region_code_converter(spec: FieldSpec) -> Converter:
    def convert(value: Any, today: date) -> Any:
        code = str(value).strip()
        if not _REGION_CODE.fullmatch(code):
            raise _fail(spec, "应为六位行政区划代码")
        return code

    return convert


def _boolean_converter(spec: FieldSpec) -> Converter:
    def convert(value: Any, today: date) -> Any:
        if isinstance(value, bool):
            return value
        text = str(value).strip().lower()
        if text in _TRUE:
            return True
        if text in _FALSE:
            return False
        raise _fail(spec, "应为是/否")

    return convert


def _industry_code_converter(spec: FieldSpec) -> Converter:
    def convert(value: Any, today: date) -> Any:
        code = str(value).strip().upper()
        if not _INDUSTRY_CODE.fullmatch(code):
            raise _fail(spec, "应为国民经济行业分类代码（如 C、C39、I65）")
        return code

    return convert


def _unknown_type_converter(spec: FieldSpec) -> Converter:
    def convert(value: Any, today: date) -> Any:
        raise _fail(spec, f"未知字段类型 {spec.type}")

    return convert


_CONVERTERS: dict[str, Callable[[FieldSpec], Converter]] = {
    "uscc": _uscc_converter,
    "id_number": _id_number_converter,
    "string": _string_converter,
    "enum": _enum_converter,
    "date": _date_converter,
    "month": _month_converter,
    "year": _year_converter,
    "money": _number_converter,
    "decimal": _number_converter,
    "integer": _integer_converter,
    "region_code": _region_code_converter,
    "boolean": _boolean_converter,
    "industry_code": _industry_code_converter,
}


def _converter(spec: FieldSpec) -> Converter:
    """The converter of one field (checks and constants prepared once, when it is built)."""
    return _CONVERTERS.get(spec.type, _unknown_type_converter)(spec)


def _convert(spec: FieldSpec, value: Any, today: date) -> Any:
    """Convert one present value to its JSON-safe canonical form or raise DomainError."""
    return _converter(spec)(value, today)


@dataclass(frozen=True)
class _Plan:
    """A category prepared for validating many rows: converters and maskers per field."""

    category: CategorySpec
    names: frozenset[str]
    # (name, required, default, converter, masker or None when not personal, spec)
    fields: tuple[tuple[str, bool, Any, Converter, Callable[[str], str] | None, FieldSpec], ...]
    natural_key: tuple[str, ...]
    occurred_on_field: str
    visible_until_field: str


_PLANS: dict[int, _Plan] = {}


def _plan(category: CategorySpec) -> _Plan:
    """The prepared category (cached by identity: sharing lists are loaded once)."""
    plan = _PLANS.get(id(category))
    if plan is None or plan.category is not category:
        plan = _Plan(
            category=category,
            names=frozenset(f.name for f in category.fields),
            fields=tuple(
                (
                    f.name,
                    f.required,
                    f.default,
                    _converter(f),
                    _MASKERS.get(f.masking or "", _mask_all) if f.personal else None,
                    f,
                )
                for f in category.fields
            ),
            natural_key=category.natural_key,
            occurred_on_field=category.occurred_on_field or "",
            visible_until_field=category.visible_until_field or "",
        )
        if len(_PLANS) > 1000:
            _PLANS.clear()
        _PLANS[id(category)] = plan
    return plan


def _mask_all(_value: str) -> str:
    return "***"


def validate_record(category: CategorySpec, raw: Any, *, today: date) -> CleanRecord:
    """Validate ``raw`` (a JSON object) against ``category``; DomainError on the first fault."""
    if isinstance(raw, UnparsableRow):
        raise DomainError(ErrorCode.VALIDATION_ERROR, raw.message)
    if not isinstance(raw, dict):
        raise DomainError(ErrorCode.VALIDATION_ERROR, "每条记录应为 JSON 对象")
    plan = _plan(category)
    if not plan.names.issuperset(raw):
        unknown = sorted(set(raw) - plan.names)
        raise DomainError(
            ErrorCode.VALIDATION_ERROR,
            f"清单中没有这些字段：{'、'.join(unknown)}",
            field=unknown[0],
        )
    shown: dict[str, Any] = {}
    personal: dict[str, str] = {}
    get = raw.get
    for name, required, default, convert, masker, spec in plan.fields:
        value = get(name)
        if value is None or (isinstance(value, str) and not value.strip()):
            if required:
                raise _fail(spec, "必填")
            if default is None:
                continue
            value = default
        clean = convert(value, today)
        if masker is not None:
            personal[name] = str(clean)
            shown[name] = masker(str(clean))
        else:
            shown[name] = clean
    natural_key = _key("|".join([str(shown.get(name, "")) for name in plan.natural_key]))
    return CleanRecord(
        fields=shown,
        personal=personal,
        natural_key=natural_key,
        occurred_on=as_date(shown.get(plan.occurred_on_field)),
        visible_until=as_date(shown.get(plan.visible_until_field)),
    )


def validate_key(category: CategorySpec, raw: Any, *, today: date) -> str:
    """The natural key of a withdrawal request: only the key fields are needed and checked."""
    if not isinstance(raw, dict):
        raise DomainError(ErrorCode.VALIDATION_ERROR, "每条撤回请求应为 JSON 对象")
    parts = []
    for name in category.natural_key:
        spec = category.field(name)
        value = raw.get(name)
        if spec is None or value is None or (isinstance(value, str) and not value.strip()):
            raise DomainError(
                ErrorCode.VALIDATION_ERROR, f"撤回请求须包含主键字段 {name}", field=name
            )
        parts.append(str(_convert(spec, value, today)))
    return _key("|".join(parts))


def _key(natural_key: str) -> str:
    """A natural key that fits its column (255 characters)."""
    if len(natural_key) > NATURAL_KEY_MAX:
        raise DomainError(
            ErrorCode.VALIDATION_ERROR, f"主键字段合计不能超过 {NATURAL_KEY_MAX} 个字符"
        )
    return natural_key


def as_date(value: Any) -> date | None:
    """A date from a clean date (``YYYY-MM-DD``), month (its first day) or year (1 January)."""
    if value is None or value == "":
        return None
    if isinstance(value, int):
        return date(value, 1, 1)
    text = str(value)
    return date.fromisoformat(text + "-01" if len(text) == 7 else text)
