"""Opaque bearer tokens: random, shown once, stored as SHA-256."""

from __future__ import annotations

import hashlib
import secrets

SESSION_TOKEN_PREFIX = "xrs_"  # noqa: S105 (a prefix, not a secret)
API_TOKEN_PREFIX = "xra_"  # noqa: S105 (an institution system's API token)


def new_token(prefix: str = SESSION_TOKEN_PREFIX) -> tuple[str, str]:
    """Return ``(token, token_hash)``: 256 random bits, and the hash to store."""
    token = prefix + secrets.token_urlsafe(32)
    return token, hash_token(token)


def hash_token(token: str) -> str:
    """SHA-256 of a token (tokens are high-entropy, so no salt or stretching is needed)."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()
