"""The public list of institutions."""

from __future__ import annotations

import strawberry
from sqlalchemy import select
from strawberry.types import Info

from backend.institutions.models import Institution as InstitutionModel
from backend.institutions.models import InstitutionStatus
from graphql_schema.types import Institution


@strawberry.type
class InstitutionQuery:
    @strawberry.field(description="平台上的金融机构（公开）")
    async def institutions(self, info: Info) -> list[Institution]:
        async def work(session, _actor):  # type: ignore[no-untyped-def]
            rows = await session.execute(
                select(InstitutionModel)
                .where(InstitutionModel.status == InstitutionStatus.ACTIVE.value)
                .order_by(InstitutionModel.id)
            )
            return [Institution.from_model(row) for row in rows.scalars()]

        return await info.context.read(work)
