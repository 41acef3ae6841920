"""What a registration record does besides being stored: it creates or updates the enterprise."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from backend.credit.validation import CleanRecord
from backend.enterprises.models import Enterprise
from backend.identity.masking import mask_id_number
from backend.identity.uscc import parse_uscc
from backend.security.keyring import KeyRing

ID_NUMBER_CONTEXT = "enterprises.legal_rep_id"


def apply_registration(
    session: AsyncSession, keyring: KeyRing, enterprise: Enterprise | None, row: CleanRecord
) -> Enterprise:
    """Create the enterprise of a registration record, or bring an existing one up to date."""
    fields = row.fields
    info = parse_uscc(fields["uscc"])
    id_number = row.personal["legal_rep_id_number"]
    if enterprise is None:
        enterprise = Enterprise(uscc=info.code)
        session.add(enterprise)
    enterprise.name = fields["name"]
    enterprise.entity_type = info.entity_type
    enterprise.region_code = info.region_code
    enterprise.industry_code = fields.get("industry_code")
    established = fields.get("established_on")
    enterprise.established_on = date.fromisoformat(established) if established else None
    capital = fields.get("registered_capital")
    enterprise.registered_capital = Decimal(capital) if capital is not None else None
    enterprise.legal_rep_name = fields["legal_rep_name"]
    if enterprise.legal_rep_id_hash != keyring.lookup_hash(id_number):
        enterprise.legal_rep_id_cipher = keyring.encrypt(id_number, context=ID_NUMBER_CONTEXT)
        enterprise.legal_rep_id_hash = keyring.lookup_hash(id_number)
        enterprise.legal_rep_id_masked = mask_id_number(id_number)
    enterprise.address = fields.get("address")
    enterprise.registration_status = fields.get("status")
    return enterprise
