"""The state of anything that is granted until it expires or is revoked (grants, API tokens)."""

from __future__ import annotations

from datetime import datetime

from backend.db.base import utcnow

ACTIVE, EXPIRED, REVOKED = "ACTIVE", "EXPIRED", "REVOKED"


def lifecycle_state(
    revoked_at: datetime | None, expires_at: datetime, now: datetime | None = None
) -> str:
    """ACTIVE, EXPIRED or REVOKED at ``now``; revocation wins over expiry."""
    if revoked_at is not None:
        return REVOKED
    if expires_at <= (now or utcnow()):
        return EXPIRED
    return ACTIVE
