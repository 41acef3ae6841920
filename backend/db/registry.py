"""Imports every domain's models so that ``Base.metadata`` knows all tables (Alembic, tests)."""

from backend.audit import models as audit_models
from backend.credit import models as credit_models
from backend.db.base import Base
from backend.enterprises import models as enterprise_models
from backend.identity import models as identity_models
from backend.institutions import models as institution_models
from backend.security import models as security_models

__all__ = [
    "Base",
    "audit_models",
    "credit_models",
    "enterprise_models",
    "identity_models",
    "institution_models",
    "security_models",
]
