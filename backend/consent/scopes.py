"""Authorisation scopes: the sharing list's non-public categories plus ``legal_rep_identity``.

A category can be granted when it holds anything that is not public: the whole category is
authorised-only (水费, 纳税 …), or some of its fields are (科技研发's R&D spending). Personal fields
are never revealed by a category scope: they stay masked, and only the legal representative's
ID number can be revealed, by the separate ``legal_rep_identity`` scope (PIPL art. 29).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from backend.credit.sharing_list import CategorySpec, load_sharing_list
from backend.errors import DomainError, ErrorCode

IDENTITY_SCOPE = "legal_rep_identity"
IDENTITY_LABEL = "法定代表人身份证号码"
MAX_SCOPES = 30


def has_non_public_content(spec: CategorySpec) -> bool:
    """Whether a grant of this category would show an institution anything more."""
    return spec.disclosure == "authorised" or any(
        f.disclosure == "authorised" and not f.personal for f in spec.fields
    )


def grantable_scopes() -> dict[str, str]:
    """Every scope an enterprise may grant, with its Chinese label, in sharing-list order."""
    scopes = {
        spec.code: spec.label
        for spec in load_sharing_list().categories.values()
        if has_non_public_content(spec)
    }
    scopes[IDENTITY_SCOPE] = IDENTITY_LABEL
    return scopes


def scope_label(scope: str) -> str:
    """The Chinese label of a scope (the code itself when the sharing list no longer has it)."""
    if scope == IDENTITY_SCOPE:
        return IDENTITY_LABEL
    spec = load_sharing_list().get(scope)
    return spec.label if spec else scope


def clean_scopes(scopes: Iterable[str], *, field: str = "scopes") -> list[str]:
    """The requested scopes, de-duplicated in order; refuses unknown and public categories."""
    cleaned: list[str] = []
    for raw in scopes:
        scope = (raw or "").strip()
        if scope not in cleaned:
            cleaned.append(scope)
    if not cleaned:
        raise DomainError(ErrorCode.VALIDATION_ERROR, "请至少选择一类授权信息", field=field)
    if len(cleaned) > MAX_SCOPES:
        raise DomainError(ErrorCode.VALIDATION_ERROR, "授权类别过多", field=field)
    grantable = grantable_scopes()
    sharing = load_sharing_list()
    for scope in cleaned:
        if scope in grantable:
            continue
        spec = sharing.get(scope)
        if spec is None:
            raise DomainError(ErrorCode.UNKNOWN_CATEGORY, f"共享清单中没有“{scope}”", field)
        raise DomainError(
            ErrorCode.VALIDATION_ERROR, f"“{spec.label}”为公开信息，无需授权即可查询", field
        )
    return cleaned


def shown_fields(
    spec: CategorySpec, fields: dict[str, Any], covered: frozenset[str]
) -> dict[str, Any] | None:
    """What an institution holding scopes ``covered`` sees of one record, or None for nothing.

    An authorised-only category shows only when covered, or when the record itself is public
    (纳税信用 A 级); authorised fields of a shown record are dropped unless the category is
    covered. Personal fields are already stored masked and stay masked.
    """
    covered_here = spec.code in covered
    if spec.disclosure == "authorised" and not covered_here:
        rule = spec.public_when
        if rule is None or fields.get(rule.field) not in rule.values:
            return None
    if covered_here:
        return dict(fields)
    hidden = {f.name for f in spec.fields if f.disclosure == "authorised" and not f.personal}
    return {name: value for name, value in fields.items() if name not in hidden}


def readable_categories(covered: frozenset[str]) -> list[str]:
    """Categories of which an institution holding ``covered`` may see at least some records."""
    return [
        spec.code
        for spec in load_sharing_list().categories.values()
        if spec.disclosure == "public" or spec.public_when is not None or spec.code in covered
    ]
