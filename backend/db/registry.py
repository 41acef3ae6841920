"""Imports every domain's models so that ``Base.metadata`` knows all tables (Alembic, tests)."""

from backend.audit import models as audit_models
from backend.consent import models as consent_models
from backend.credit import models as credit_models
from backend.db.base import Base
from backend.declarations import models as declaration_models
from backend.enterprises import models as enterprise_models
from backend.identity import models as identity_models
from backend.inbox import models as inbox_models
from backend.institutions import models as institution_models
from backend.lending import models as lending_models
from backend.objections import models as objection_models
from backend.policies import models as policy_models
from backend.security import models as security_models

__all__ = [
    "Base",
    "audit_models",
    "consent_models",
    "credit_models",
    "declaration_models",
    "enterprise_models",
    "identity_models",
    "inbox_models",
    "institution_models",
    "lending_models",
    "objection_models",
    "policy_models",
    "security_models",
]
