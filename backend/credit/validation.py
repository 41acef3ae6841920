"""Checking one incoming record against its sharing-list category."""

from __future__ import annotations

import re
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


@dataclass(frozen=True)
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


def _convert(spec: FieldSpec, value: Any, today: date) -> Any:
    """Convert one present value to its JSON-safe canonical form or raise DomainError."""
    kind = spec.type
    if kind == "uscc":
        return parse_uscc(str(value), field=spec.name).code
    if kind == "id_number":
        return parse_id_number(str(value), today=today, field=spec.name).number
    if kind == "string":
        text = str(value).strip()
        if spec.max_length and len(text) > spec.max_length:
            raise _fail(spec, f"长度不能超过 {spec.max_length} 个字符")
        return text
    if kind == "enum":
        text = str(value).strip()
        if text not in spec.values:
            raise _fail(spec, f"取值应为 {'、'.join(spec.values)} 之一")
        return text
    if kind == "date":
        try:
            parsed = date.fromisoformat(str(value).strip())
        except ValueError as exc:
            raise _fail(spec, "日期格式应为 YYYY-MM-DD") from exc
        if spec.not_future and parsed > today:
            raise _fail(spec, "日期不能晚于今天")
        return parsed.isoformat()
    if kind == "month":
        match = _MONTH.fullmatch(str(value).strip())
        if not match:
            raise _fail(spec, "月份格式应为 YYYY-MM")
        if spec.not_future and (int(match[1]), int(match[2])) > (today.year, today.month):
            raise _fail(spec, "月份不能晚于本月")
        return match[0]
    if kind == "year":
        text = str(value).strip()
        if isinstance(value, bool) or not re.fullmatch(r"\d{4}", text):
            raise _fail(spec, "年度应为四位数字")
        if not 1949 <= int(text) <= today.year + (0 if spec.not_future else 1):
            raise _fail(spec, "年度超出范围")
        return int(text)
    if kind in {"money", "decimal"}:
        if isinstance(value, bool):
            raise _fail(spec, "应为数字")
        try:
            number = Decimal(str(value).strip())
        except InvalidOperation as exc:
            raise _fail(
                spec, "金额应为数字（单位：元）" if kind == "money" else "应为数字"
            ) from exc
        floor = Decimal(str(spec.minimum)) if spec.minimum is not None else Decimal(0)
        if not number.is_finite() or number < floor:
            raise _fail(spec, f"应为不小于 {floor} 的数字")
        return str(number.quantize(Decimal("0.01"))) if kind == "money" else str(number)
    if kind == "integer":
        if isinstance(value, bool) or not re.fullmatch(r"-?\d+", str(value).strip()):
            raise _fail(spec, "应为整数")
        number = int(str(value).strip())
        if spec.minimum is not None and number < spec.minimum:
            raise _fail(spec, f"应为不小于 {spec.minimum:g} 的整数")
        return number
    if kind == "region_code":
        code = str(value).strip()
        if not _REGION_CODE.fullmatch(code):
            raise _fail(spec, "应为六位行政区划代码")
        return code
    if kind == "boolean":
        if isinstance(value, bool):
            return value
        text = str(value).strip().lower()
        if text in {"true", "1", "是", "y", "yes"}:
            return True
        if text in {"false", "0", "否", "n", "no"}:
            return False
        raise _fail(spec, "应为是/否")
    if kind == "industry_code":
        code = str(value).strip().upper()
        if not _INDUSTRY_CODE.fullmatch(code):
            raise _fail(spec, "应为国民经济行业分类代码（如 C、C39、I65）")
        return code
    raise _fail(spec, f"未知字段类型 {kind}")


def validate_record(category: CategorySpec, raw: Any, *, today: date) -> CleanRecord:
    """Validate ``raw`` (a JSON object) against ``category``; DomainError on the first fault."""
    if isinstance(raw, UnparsableRow):
        raise DomainError(ErrorCode.VALIDATION_ERROR, raw.message)
    if not isinstance(raw, dict):
        raise DomainError(ErrorCode.VALIDATION_ERROR, "每条记录应为 JSON 对象")
    unknown = sorted(set(raw) - {f.name for f in category.fields})
    if unknown:
        raise DomainError(
            ErrorCode.VALIDATION_ERROR,
            f"清单中没有这些字段：{'、'.join(unknown)}",
            field=unknown[0],
        )
    shown: dict[str, Any] = {}
    personal: dict[str, str] = {}
    for spec in category.fields:
        value = raw.get(spec.name)
        if value is None or (isinstance(value, str) and not value.strip()):
            if spec.required:
                raise _fail(spec, "必填")
            if spec.default is None:
                continue
            value = spec.default
        clean = _convert(spec, value, today)
        if spec.personal:
            personal[spec.name] = str(clean)
            masker = _MASKERS.get(spec.masking or "")
            shown[spec.name] = masker(str(clean)) if masker else "***"
        else:
            shown[spec.name] = clean
    natural_key = _key("|".join(str(shown.get(name, "")) for name in category.natural_key))
    return CleanRecord(
        fields=shown,
        personal=personal,
        natural_key=natural_key,
        occurred_on=as_date(shown.get(category.occurred_on_field or "")),
        visible_until=as_date(shown.get(category.visible_until_field or "")),
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
