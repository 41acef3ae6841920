"""Data providers' ingestion: ingestCreditRecords."""

from __future__ import annotations

import strawberry
from strawberry.scalars import JSON
from strawberry.types import Info

from backend.credit import ingest
from backend.identity.models import Role
from graphql_schema.errors import ErrorCode, UserError
from graphql_schema.permissions import roles


@strawberry.input
class IngestCreditRecordsInput:
    batch_id: str = strawberry.field(
        description="数据提供方自定的批次号；同一批次重复报送不产生变化"
    )
    category: str = strawberry.field(description="共享清单类别代码，如 registration")
    records: list[JSON] = strawberry.field(description="记录（按共享清单字段）")
    withdrawals: list[JSON] | None = strawberry.field(
        default=None, description="撤回：每项只需该类别的主键字段；撤回后记录不再展示，历史保留"
    )
    all_or_nothing: bool = strawberry.field(
        default=False, description="为 true 时，任何一行有错则整批不入库"
    )


@strawberry.type(description="报送批次")
class IngestBatch:
    id: strawberry.ID
    batch_id: str
    category: str
    status: str = strawberry.field(description="ACCEPTED, PARTIAL 或 REJECTED")
    accepted: int
    rejected: int
    withdrawn: int
    all_or_nothing: bool
    replayed: bool = strawberry.field(description="此批次此前已报送，本次未作任何更改")


@strawberry.type(description="某一行记录的错误")
class RowError:
    index: int = strawberry.field(description="在 records（或 withdrawals）中的序号，从 0 起")
    withdrawal: bool = strawberry.field(description="为 true 时 index 指 withdrawals")
    code: ErrorCode
    field: str | None
    message: str


@strawberry.type
class IngestCreditRecordsPayload:
    batch: IngestBatch | None
    row_errors: list[RowError]
    errors: list[UserError]


@strawberry.type
class CreditMutation:
    @strawberry.mutation(
        extensions=roles(Role.DATA_PROVIDER), description="报送信用信息（物理归集；仅数据提供方）"
    )
    async def ingest_credit_records(
        self, info: Info, input: IngestCreditRecordsInput
    ) -> IngestCreditRecordsPayload:
        ctx = info.context
        outcome, errors = await ctx.transact(
            lambda session, actor: ingest.ingest_records(
                session=session,
                runtime=ctx.runtime,
                actor=actor,
                batch_id=input.batch_id,
                category=input.category,
                records=list(input.records),
                withdrawals=list(input.withdrawals or []),
                all_or_nothing=input.all_or_nothing,
            )
        )
        if outcome is None:
            return IngestCreditRecordsPayload(batch=None, row_errors=[], errors=errors)
        batch = outcome.batch
        return IngestCreditRecordsPayload(
            batch=IngestBatch(
                id=strawberry.ID(str(batch.id)),
                batch_id=batch.external_batch_id,
                category=batch.category,
                status=batch.status,
                accepted=batch.accepted,
                rejected=batch.rejected,
                withdrawn=batch.withdrawn,
                all_or_nothing=batch.all_or_nothing,
                replayed=outcome.replayed,
            ),
            row_errors=[
                RowError(
                    index=row["index"],
                    withdrawal=bool(row.get("withdrawal", False)),
                    code=ErrorCode(row["code"]),
                    field=row.get("field"),
                    message=row["message"],
                )
                for row in outcome.row_errors
            ],
            errors=[],
        )
