"""Output types shared across domains: Account, Enterprise, Institution."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import TypeVar

import strawberry
from strawberry.types import Info

from backend.credit.models import DataProvider as DataProviderModel
from backend.enterprises import service as enterprises
from backend.enterprises.models import Enterprise as EnterpriseModel
from backend.identity.masking import mask_phone
from backend.identity.models import Account as AccountModel
from backend.identity.models import Role as RoleValue
from backend.identity.regions import region_name
from backend.identity.uscc import parse_uscc
from backend.institutions.models import Institution as InstitutionModel

T = TypeVar("T")

Role = strawberry.enum(RoleValue, name="Role", description="账户角色")


@strawberry.enum(description="金融机构类别")
class InstitutionKind(Enum):
    BANK = "BANK"
    GUARANTOR = "GUARANTOR"
    INSURER = "INSURER"
    CREDIT_AGENCY = "CREDIT_AGENCY"


@strawberry.type(description="金融机构（公开信息）")
class Institution:
    id: strawberry.ID
    name: str
    kind: InstitutionKind

    @classmethod
    def from_model(cls, model: InstitutionModel) -> Institution:
        """Shape an institution row."""
        return cls(
            id=strawberry.ID(str(model.id)), name=model.name, kind=InstitutionKind(model.kind)
        )


@strawberry.type(description="数据提供单位")
class DataProvider:
    id: strawberry.ID
    name: str


@strawberry.type(description="市场主体（企业、个体工商户、农民专业合作社）")
class Enterprise:
    id: strawberry.ID
    uscc: str
    name: str
    entity_type: str = strawberry.field(
        description="enterprise, individual_business, farmer_coop 或 other"
    )
    region_code: str
    industry_code: str | None
    size_class: str | None = strawberry.field(
        description="micro, small, medium, large；数据不足时为空（不猜测）"
    )
    established_on: date | None
    registered_capital: Decimal | None
    legal_rep_name: str
    legal_rep_id_number_masked: str
    registration_status: str | None
    _model: strawberry.Private[EnterpriseModel]

    @strawberry.field(description="行政区划全称")
    def region_name(self) -> str | None:
        return region_name(self.region_code)

    @strawberry.field(description="主体类型（中文）：企业、个体工商户、农民专业合作社……")
    def entity_type_label(self) -> str:
        return parse_uscc(self.uscc).entity_type_label

    @strawberry.field(
        description=(
            "法定代表人身份证号码：仅企业本身及获 legal_rep_identity 授权的机构可见，"
            "其余为空；每次读取均记入审计日志"
        )
    )
    async def legal_rep_id_number(self, info: Info) -> str | None:
        return await info.context.read(
            lambda session, actor: enterprises.read_legal_rep_id_number(
                session=session,
                runtime=info.context.runtime,
                actor=actor,
                enterprise=self._model,
            )
        )

    @classmethod
    def from_model(cls, model: EnterpriseModel) -> Enterprise:
        """Shape an enterprise row (the ID number stays encrypted until asked for)."""
        return cls(
            id=strawberry.ID(str(model.id)),
            uscc=model.uscc,
            name=model.name,
            entity_type=model.entity_type,
            region_code=model.region_code,
            industry_code=model.industry_code,
            size_class=None,
            established_on=model.established_on,
            registered_capital=model.registered_capital,
            legal_rep_name=model.legal_rep_name,
            legal_rep_id_number_masked=model.legal_rep_id_masked,
            registration_status=model.registration_status,
            _model=model,
        )


async def _related(info: Info, model_class: type[T], key: int | None) -> T | None:
    """The row of ``model_class`` with primary key ``key`` (None when there is no key)."""
    if key is None:
        return None
    return await info.context.read(lambda session, _actor: session.get(model_class, key))


@strawberry.type(description="登录账户")
class Account:
    id: strawberry.ID
    role: Role
    display_name: str
    phone_masked: str
    department: str | None = strawberry.field(description="所属部门（政府工作人员、审计员）")
    verified_at: datetime | None
    created_at: datetime
    _model: strawberry.Private[AccountModel]

    @strawberry.field(description="已实名认证的企业（企业账户）")
    async def enterprise(self, info: Info) -> Enterprise | None:
        model = await _related(info, EnterpriseModel, self._model.enterprise_id)
        return Enterprise.from_model(model) if model else None

    @strawberry.field(description="所属金融机构（机构账户）")
    async def institution(self, info: Info) -> Institution | None:
        model = await _related(info, InstitutionModel, self._model.institution_id)
        return Institution.from_model(model) if model else None

    @strawberry.field(description="所属数据提供单位（数据提供方账户）")
    async def data_provider(self, info: Info) -> DataProvider | None:
        model = await _related(info, DataProviderModel, self._model.data_provider_id)
        return DataProvider(id=strawberry.ID(str(model.id)), name=model.name) if model else None

    @classmethod
    def from_model(cls, model: AccountModel) -> Account:
        """Shape an account row; the phone number is always masked."""
        return cls(
            id=strawberry.ID(str(model.id)),
            role=RoleValue(model.role),
            display_name=model.display_name,
            phone_masked=mask_phone(model.phone),
            department=model.department,
            verified_at=model.verified_at,
            created_at=model.created_at,
            _model=model,
        )
