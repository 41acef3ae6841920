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
from backend.identity.masking import mask_id_number
from backend.identity.uscc import parse_uscc

_INDUSTRY_CODE = re.compile(r"^[A-T](\d{2}(\d{1,2})?)?$")
_MASKERS = {"id_number": mask_id_number}


@dataclass(frozen=True)
class CleanRecord:
    """A validated record: shown fields (personal ones masked), personal data, key and date."""

    fields: dict[str, Any]
    personal: dict[str, str]
    natural_key: str
    occurred_on: date | None


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
    if kind == "money":
        if isinstance(value, bool):
            raise _fail(spec, "金额应为数字")
        try:
            amount = Decimal(str(value).strip())
        except InvalidOperation as exc:
            raise _fail(spec, "金额应为数字（单位：元）") from exc
        if not amount.is_finite() or amount < 0:
            raise _fail(spec, "金额应为非负数")
        return str(amount.quantize(Decimal("0.01")))
    if kind == "integer":
        if isinstance(value, bool) or not re.fullmatch(r"-?\d+", str(value).strip()):
            raise _fail(spec, "应为整数")
        return int(str(value).strip())
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
    key_parts = [str(personal.get(name, shown.get(name, ""))) for name in category.natural_key]
    occurred = shown.get(category.occurred_on_field) if category.occurred_on_field else None
    return CleanRecord(
        fields=shown,
        personal=personal,
        natural_key="|".join(key_parts),
        occurred_on=date.fromisoformat(occurred) if occurred else None,
    )
