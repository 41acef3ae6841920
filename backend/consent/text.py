"""The consent text an enterprise reads before it authorises an institution.

The template lives in ``seed_products/consent.json`` with a version; the text rendered for a grant
(names, scopes, purpose, expiry filled in) is stored with the grant, together with the version.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from pathlib import Path
from string import Template

from backend.clock import CHINA_TZ
from backend.consent.models import PURPOSE_LABELS, AccessPurpose
from backend.consent.scopes import IDENTITY_SCOPE, scope_label

DEFAULT_PATH = Path(__file__).resolve().parents[2] / "seed_products" / "consent.json"


@dataclass(frozen=True)
class ConsentTemplate:
    """The versioned template of the authorisation text."""

    version: str
    title: str
    text: str
    identity_clause: str


@cache
def load_consent_template(path: Path = DEFAULT_PATH) -> ConsentTemplate:
    """Read (once) and check the consent template."""
    with path.open(encoding="utf-8") as handle:
        raw = json.load(handle)
    template = ConsentTemplate(
        version=str(raw["version"]),
        title=raw["title"],
        text=raw["text"],
        identity_clause=raw["identity_clause"],
    )
    if not template.version or len(template.version) > 20:
        raise ValueError("consent.json: version must be 1 to 20 characters")
    for placeholder in ("${institution_name}", "${scope_list}", "${purpose_label}"):
        if placeholder not in template.text:
            raise ValueError(f"consent.json: the text must contain {placeholder}")
    return template


@dataclass(frozen=True)
class ConsentText:
    """The text shown to the enterprise for one prospective grant."""

    version: str
    title: str
    text: str


def render_consent(
    *,
    enterprise_name: str,
    enterprise_uscc: str,
    institution_name: str,
    scopes: list[str],
    purpose: AccessPurpose,
    valid_days: int,
    valid_until: datetime,
) -> ConsentText:
    """The consent text for a grant, exactly as it is shown and stored."""
    template = load_consent_template()
    values = {
        "enterprise_name": enterprise_name,
        "enterprise_uscc": enterprise_uscc,
        "institution_name": institution_name,
        "scope_list": "、".join(scope_label(s) for s in scopes if s != IDENTITY_SCOPE)
        or "（无，仅身份核验）",
        "purpose_label": PURPOSE_LABELS[purpose],
        "valid_days": str(valid_days),
        "valid_until": valid_until.astimezone(CHINA_TZ).strftime("%Y年%m月%d日 %H:%M"),
    }
    clause = ""
    if IDENTITY_SCOPE in scopes:
        clause = Template(template.identity_clause).substitute(values)
    text = Template(template.text).substitute(values, identity_clause=clause)
    return ConsentText(template.version, template.title, text)
