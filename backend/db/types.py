"""Portable column types: JSON that is JSONB on PostgreSQL."""

from __future__ import annotations

from sqlalchemy import JSON
from sqlalchemy.dialects.postgresql import JSONB

JsonDoc = JSON().with_variant(JSONB(), "postgresql")
