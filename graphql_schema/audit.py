"""The auditor's view of the audit log (auditLog) and of its hash chain (auditChainStatus)."""

from __future__ import annotations

from datetime import datetime

import strawberry
from strawberry.scalars import JSON
from strawberry.types import Info

from backend.audit import queries
from backend.errors import DomainError, ErrorCode
from backend.identity.models import Role
from graphql_schema.credit_profile import PageInfo
from graphql_schema.permissions import roles


@strawberry.input(description="审计日志筛选条件（各项可选，同时给出时须全部满足）")
class AuditLogFilter:
    action: str | None = strawberry.field(
        default=None,
        description="操作：精确匹配（如 audit.read）；以 . 或 * 结尾时按前缀匹配（如 credit.）",
    )
    outcome: str | None = strawberry.field(
        default=None, description="结果：success、failure 或 denied"
    )
    actor_account_id: strawberry.ID | None = strawberry.field(
        default=None, description="操作人账户编号"
    )
    enterprise_uscc: str | None = strawberry.field(
        default=None, description="所涉企业的统一社会信用代码（查无此企业时结果为空）"
    )
    institution_id: strawberry.ID | None = strawberry.field(
        default=None, description="所涉金融机构编号"
    )
    occurred_from: datetime | None = strawberry.field(
        default=None, description="起始时间（含）；未带时区按北京时间"
    )
    occurred_to: datetime | None = strawberry.field(
        default=None, description="截止时间（不含）；未带时区按北京时间"
    )
    request_id: str | None = strawberry.field(default=None, description="请求编号")


@strawberry.type(description="一条审计日志（只增不改，哈希链保护）")
class AuditLogEntry:
    seq: int = strawberry.field(description="序号，连续无间断")
    occurred_at: datetime = strawberry.field(description="发生时间")
    action: str = strawberry.field(description="操作，如 access.report、audit.export")
    outcome: str = strawberry.field(description="结果：success、failure 或 denied")
    actor_account_id: strawberry.ID | None = strawberry.field(
        description="操作人账户编号（系统或匿名时为空）"
    )
    actor_name: str | None = strawberry.field(description="操作人姓名（账户显示名）")
    actor_role: str | None = strawberry.field(
        description=(
            "操作时的角色：ENTERPRISE、INSTITUTION、GOVERNMENT、DATA_PROVIDER、AUDITOR 或 SYSTEM"
        )
    )
    subject_type: str | None = strawberry.field(description="对象类型，如 enterprise、account")
    subject_id: str | None = strawberry.field(description="对象编号")
    enterprise_uscc: str | None = strawberry.field(description="所涉企业的统一社会信用代码")
    enterprise_name: str | None = strawberry.field(description="所涉企业名称")
    institution_id: strawberry.ID | None = strawberry.field(description="所涉金融机构编号")
    institution_name: str | None = strawberry.field(description="所涉金融机构名称")
    details: JSON = strawberry.field(
        description="详情：信息类别、用途、授权编号等（个人信息已脱敏）"
    )
    request_id: str | None = strawberry.field(description="请求编号")
    client_ip: str | None = strawberry.field(description="来源地址")
    row_hash: str = strawberry.field(description="本条的哈希（HMAC），链接下一条")

    @classmethod
    def from_row(cls, row: queries.AuditRow) -> AuditLogEntry:
        """Shape a row of the search."""
        entry = row.entry

        def id_of(value: int | None) -> strawberry.ID | None:
            return None if value is None else strawberry.ID(str(value))

        return cls(
            seq=entry.seq,
            occurred_at=entry.occurred_at,
            action=entry.action,
            outcome=entry.outcome,
            actor_account_id=id_of(entry.actor_account_id),
            actor_name=row.actor_name,
            actor_role=entry.actor_role,
            subject_type=entry.subject_type,
            subject_id=entry.subject_id,
            enterprise_uscc=row.enterprise_uscc,
            enterprise_name=row.enterprise_name,
            institution_id=id_of(entry.institution_id),
            institution_name=row.institution_name,
            details=entry.details or {},
            request_id=entry.request_id,
            client_ip=entry.client_ip,
            row_hash=entry.row_hash,
        )


@strawberry.type(description="审计日志一页（由新到旧）")
class AuditLogPage:
    items: list[AuditLogEntry]
    page_info: PageInfo


@strawberry.type(description="审计日志哈希链校验结果")
class AuditChainStatus:
    ok: bool = strawberry.field(description="整条链完好")
    rows_checked: int = strawberry.field(description="已校验且完好的条数")
    bad_seq: int | None = strawberry.field(description="第一条有问题的序号（完好时为空）")
    problem: str | None = strawberry.field(description="问题说明（完好时为空）")
    head_hash: str | None = strawberry.field(
        description="链头哈希：请另行保存，用于日后证明日志未被整体回滚"
    )


def _id(value: strawberry.ID | None, field: str) -> int | None:
    if value is None:
        return None
    text = str(value).strip()
    if not text.isdigit() or len(text) > 18:
        raise DomainError(ErrorCode.VALIDATION_ERROR, "编号格式不正确", field)
    return int(text)


def _filters(given: AuditLogFilter | None) -> queries.AuditFilters:
    if given is None:
        return queries.AuditFilters()
    return queries.AuditFilters(
        action=given.action,
        outcome=given.outcome,
        actor_account_id=_id(given.actor_account_id, "actorAccountId"),
        enterprise_uscc=given.enterprise_uscc,
        institution_id=_id(given.institution_id, "institutionId"),
        occurred_from=given.occurred_from,
        occurred_to=given.occurred_to,
        request_id=given.request_id,
    )


@strawberry.type
class AuditQuery:
    @strawberry.field(
        extensions=roles(Role.AUDITOR),
        description=(
            "审计日志（审计员）：按操作、结果、操作人、企业、机构、时间、请求编号筛选，"
            f"由新到旧分页（first 1 到 {queries.MAX_PAGE}）；每次查询本身也记入审计日志"
        ),
    )
    async def audit_log(
        self,
        info: Info,
        filter: AuditLogFilter | None = None,
        first: int = 50,
        after: str | None = None,
    ) -> AuditLogPage:
        ctx = info.context

        async def work(session, actor) -> queries.AuditPage:  # type: ignore[no-untyped-def]
            return await queries.search(
                session=session,
                runtime=ctx.runtime,
                actor=actor,
                filters=_filters(filter),
                first=first,
                after=after,
            )

        page = await ctx.read(work)
        return AuditLogPage(
            items=[AuditLogEntry.from_row(row) for row in page.rows],
            page_info=PageInfo(has_next_page=page.has_next_page, end_cursor=page.end_cursor),
        )

    @strawberry.field(
        extensions=roles(Role.AUDITOR),
        description=(
            "校验整条审计日志哈希链（审计员）：逐条重算，耗时随日志条数增长，"
            "请勿频繁调用；大库请用命令 xinrong audit verify。校验本身记入审计日志"
        ),
    )
    async def audit_chain_status(self, info: Info) -> AuditChainStatus:
        ctx = info.context

        async def work(session, actor) -> queries.ChainStatus:  # type: ignore[no-untyped-def]
            return await queries.chain_status(session=session, runtime=ctx.runtime, actor=actor)

        status = await ctx.read(work)
        return AuditChainStatus(
            ok=status.ok,
            rows_checked=status.rows_checked,
            bad_seq=status.bad_seq,
            problem=status.problem,
            head_hash=status.head_hash,
        )
