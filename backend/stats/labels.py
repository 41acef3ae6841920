"""Chinese labels of the categories statistics are broken down by, in display order."""

from __future__ import annotations

from backend.institutions.models import InstitutionKind
from backend.lending.models import PRODUCT_TYPE_LABELS, ApplicationStatus, LoanStatus
from backend.objections.models import ObjectionStatus
from backend.policies.models import POLICY_TYPE_LABELS, PolicyStatus

# The entity types a USCC can give (backend/identity/uscc.py), as CONTRACT.md's facts name them.
ENTITY_TYPE_LABELS = {
    "enterprise": "企业",
    "individual_business": "个体工商户",
    "farmer_coop": "农民专业合作社",
    "other": "其他",
}

INSTITUTION_KIND_LABELS = {
    InstitutionKind.BANK.value: "银行",
    InstitutionKind.GUARANTOR.value: "融资担保机构",
    InstitutionKind.INSURER.value: "保险机构",
    InstitutionKind.CREDIT_AGENCY.value: "征信机构",
}

PRODUCT_LABELS = {kind.value: label for kind, label in PRODUCT_TYPE_LABELS.items()}

APPLICATION_STATUS_LABELS = {
    ApplicationStatus.SUBMITTED.value: "已提交",
    ApplicationStatus.APPROVED.value: "已批准",
    ApplicationStatus.REJECTED.value: "未获批准",
    ApplicationStatus.DISBURSED.value: "已放款",
    ApplicationStatus.WITHDRAWN.value: "已撤回",
    ApplicationStatus.CLOSED.value: "已结清",
}

LOAN_STATUS_LABELS = {
    LoanStatus.NORMAL.value: "正常",
    LoanStatus.OVERDUE.value: "逾期",
    LoanStatus.DEFAULT.value: "违约",
    LoanStatus.REPAID.value: "已结清",
}

#: An application in one of these was approved (a later disbursement or closing keeps it so).
APPROVED_STATUSES = (
    ApplicationStatus.APPROVED.value,
    ApplicationStatus.DISBURSED.value,
    ApplicationStatus.CLOSED.value,
)

POLICY_LABELS = {kind.value: label for kind, label in POLICY_TYPE_LABELS.items()}

POLICY_STATUS_LABELS = {
    PolicyStatus.ACTIVE.value: "有效",
    PolicyStatus.WITHDRAWN.value: "已撤回",
}

# As the objections' GraphQL enum describes them.
OBJECTION_STATUS_LABELS = {
    ObjectionStatus.SUBMITTED.value: "已受理待转交",
    ObjectionStatus.FORWARDED.value: "已转交核查",
    ObjectionStatus.UPHELD.value: "异议成立",
    ObjectionStatus.REJECTED.value: "异议未予支持",
}
