"""Policies (政策找人): the public list (policies, policy), publishPolicy and withdrawPolicy,
pushPolicy with its job (policyPushJob, policyPushJobs), and the firm's policyMatches.

Thin: the services check roles and input; a push runs in the background of the instance that
received it (and is resumed by any instance if that one stops).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.scalars import JSON
from strawberry.types import Info

from backend.identity.models import Role
from backend.identity.regions import region_name
from backend.lending.product_checks import eligibility_sentences
from backend.policies import matches, models, service
from backend.policies.models import POLICY_TYPE_LABELS
from backend.policies.worker import start_push
from backend.security.actor import Actor
from graphql_schema.credit_profile import PageInfo
from graphql_schema.errors import UserError
from graphql_schema.matches import (
    MatchStatus,
    MissingFact,
    NearMiss,
    NearMissChange,
    UnmetCondition,
)
from graphql_schema.permissions import roles

PolicyType = strawberry.enum(
    models.PolicyType,
    name="PolicyType",
    description="政策类型：INTEREST_SUBSIDY 贷款贴息、RISK_COMPENSATION 风险补偿、"
    "GUARANTEE_FEE_SUBSIDY 担保费补贴、FIRST_LOAN_REWARD 首贷奖励、OTHER 其他",
)
PolicyStatus = strawberry.enum(
    models.PolicyStatus,
    name="PolicyStatus",
    description="政策状态：ACTIVE 有效、WITHDRAWN 已撤回（不再推送，已发出的消息保留）",
)
PushJobStatus = strawberry.enum(
    models.JobStatus,
    name="PushJobStatus",
    description="推送任务状态：PENDING 待执行、RUNNING 执行中、DONE 已完成、FAILED 失败",
)


@strawberry.type(description="政府部门发布的惠企政策（公开信息）")
class Policy:
    id: strawberry.ID
    code: str | None = strawberry.field(description="政策代码（种子文件中的标识；可为空）")
    title: str
    policy_type: PolicyType
    issuer: str = strawberry.field(description="发布单位")
    summary: str = strawberry.field(description="政策摘要")
    body: str = strawberry.field(description="政策全文")
    eligibility: JSON = strawberry.field(description="适用条件（规则语言）")
    region_codes: list[str] = strawberry.field(description="适用地区（区划代码前缀）；空为全国")
    valid_from: date
    valid_until: date
    status: PolicyStatus
    pushed_at: datetime | None = strawberry.field(description="首次推送时间；未推送为空")
    created_at: datetime

    @strawberry.field(description="政策类型（中文）")
    def policy_type_label(self) -> str:
        return POLICY_TYPE_LABELS[models.PolicyType(self.policy_type.value)]

    @strawberry.field(description="适用条件的中文表述，每项一句")
    def conditions(self) -> list[str]:
        return eligibility_sentences(self.eligibility)

    @strawberry.field(description="适用地区名称；空为全国")
    def region_names(self) -> list[str]:
        return [region_name(code.ljust(6, "0")) or code for code in self.region_codes]

    @classmethod
    def from_row(cls, row: models.Policy) -> Policy:
        """Shape a stored policy (no query)."""
        return cls(
            id=strawberry.ID(str(row.id)),
            code=row.code,
            title=row.title,
            policy_type=models.PolicyType(row.policy_type),
            issuer=row.issuer,
            summary=row.summary,
            body=row.body,
            eligibility=row.eligibility,
            region_codes=list(row.region_codes or []),
            valid_from=row.valid_from,
            valid_until=row.valid_until,
            status=models.PolicyStatus(row.status),
            pushed_at=row.pushed_at,
            created_at=row.created_at,
        )


@strawberry.type
class PolicyConnection:
    items: list[Policy]
    page_info: PageInfo


@strawberry.input(description="发布政策（政府部门工作人员）")
class PublishPolicyInput:
    title: str = strawberry.field(description="政策标题，4 到 200 个字符")
    policy_type: PolicyType
    issuer: str = strawberry.field(description="发布单位，2 到 100 个字符")
    summary: str = strawberry.field(description="摘要，10 到 500 个字符（推送消息的开头）")
    body: str = strawberry.field(description="政策全文，10 到 20000 个字符")
    eligibility: JSON = strawberry.field(
        description="适用条件（规则语言）；推送给满足条件的企业，数据缺失的企业不推送"
    )
    valid_until: date = strawberry.field(description="有效期至（不早于今天，最长 10 年）")
    region_codes: list[str] = strawberry.field(
        default_factory=list, description="适用地区（2、4 或 6 位区划代码）；空列表为全国"
    )
    valid_from: date | None = strawberry.field(default=None, description="生效日期，默认今天")
    code: str | None = strawberry.field(default=None, description="政策代码（可选，唯一）")


@strawberry.input(description="撤回政策：不再推送；已发出的消息保留")
class WithdrawPolicyInput:
    policy_id: strawberry.ID
    reason: str = strawberry.field(description="撤回原因，2 到 500 个字符")


@strawberry.type
class PolicyPayload:
    policy: Policy | None
    errors: list[UserError]


@strawberry.type(description="一次政策推送任务及其进度")
class PolicyPushJob:
    id: strawberry.ID
    policy_id: strawberry.ID
    status: PushJobStatus
    matched_count: int | None = strawberry.field(
        description="开始时符合条件的企业数（匹配完成前为空）"
    )
    pushed_count: int = strawberry.field(
        description="本任务新发出的消息数（此前已收到该政策的企业不重复发送）"
    )
    progress: float = strawberry.field(description="进度，0 到 1")
    attempts: int = strawberry.field(description="执行次数（中断后续跑会增加）")
    error: str | None = strawberry.field(description="最近一次失败的原因")
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None

    @classmethod
    def from_row(cls, row: models.PolicyPushJob) -> PolicyPushJob:
        """Shape a job (no query)."""
        upper = row.upper_enterprise_id
        if row.status == models.JobStatus.DONE.value:
            progress = 1.0
        elif not upper:
            progress = 0.0
        else:
            progress = min(1.0, row.last_enterprise_id / upper)
        return cls(
            id=strawberry.ID(str(row.id)),
            policy_id=strawberry.ID(str(row.policy_id)),
            status=models.JobStatus(row.status),
            matched_count=row.matched_count,
            pushed_count=row.pushed_count,
            progress=round(progress, 4),
            attempts=row.attempts,
            error=row.error,
            created_at=row.created_at,
            started_at=row.started_at,
            finished_at=row.finished_at,
        )


@strawberry.type
class PushPolicyPayload:
    job: PolicyPushJob | None
    errors: list[UserError]


@strawberry.type(description="一项政策对本企业的匹配结果")
class PolicyMatch:
    policy: Policy
    status: MatchStatus
    reasons: list[str] = strawberry.field(
        description="符合的列出满足的条件（含企业当前值），不符合的列出未满足的条件，"
        "数据不足的说明需补充什么"
    )
    unmet_conditions: list[UnmetCondition]
    missing_facts: list[MissingFact]
    near_miss: NearMiss | None = strawberry.field(description="差一点符合时，最小的改变")

    @classmethod
    def from_match(cls, match: matches.PolicyMatch) -> PolicyMatch:
        """Shape one answer."""
        return cls(
            policy=Policy.from_row(match.policy),
            status=MatchStatus(match.status.value),
            reasons=list(match.reasons),
            unmet_conditions=[UnmetCondition(**vars(u)) for u in match.unmet],
            missing_facts=[MissingFact(**vars(m)) for m in match.missing],
            near_miss=NearMiss(changes=[NearMissChange(**vars(c)) for c in match.near_miss.changes])
            if match.near_miss
            else None,
        )


@strawberry.type
class PoliciesQuery:
    @strawberry.field(
        description="有效的惠企政策（公开，无需登录），由新到旧；可按适用地区和类型筛选，"
        "includeEnded 时含已撤回和已过期的"
    )
    async def policies(
        self,
        info: Info,
        first: int = 20,
        after: str | None = None,
        region_code: str | None = None,
        policy_type: PolicyType | None = None,
        include_ended: bool = False,
    ) -> PolicyConnection:
        page = await info.context.read(
            lambda session, _actor: service.list_policies(
                session=session,
                first=first,
                after=after,
                region_code=region_code,
                policy_type=policy_type,
                include_ended=include_ended,
            )
        )
        return PolicyConnection(
            items=[Policy.from_row(p) for p in page.policies],
            page_info=PageInfo(has_next_page=page.has_next_page, end_cursor=page.end_cursor),
        )

    @strawberry.field(description="一项政策（公开）；不存在时为 null")
    async def policy(self, info: Info, id: strawberry.ID) -> Policy | None:
        async def work(session: AsyncSession, _actor: Actor) -> models.Policy | None:
            found = await service.policies_by_id(session, [service.policy_id_of(id)])
            return next(iter(found.values()), None)

        row = await info.context.read(work)
        return Policy.from_row(row) if row else None

    @strawberry.field(
        extensions=roles(Role.ENTERPRISE),
        description="本企业适用的政策：符合的、数据不足的，以及（includeIneligible 时）"
        "不符合的（差一点符合的在前，附最小改变）",
    )
    async def policy_matches(
        self, info: Info, include_ineligible: bool = False
    ) -> list[PolicyMatch]:
        answers = await info.context.read(
            lambda session, actor: matches.policy_matches(
                session=session, actor=actor, include_ineligible=include_ineligible
            )
        )
        return [PolicyMatch.from_match(a) for a in answers]

    @strawberry.field(extensions=roles(Role.GOVERNMENT), description="一次政策推送任务的进度")
    async def policy_push_job(self, info: Info, id: strawberry.ID) -> PolicyPushJob:
        job = await info.context.read(
            lambda session, actor: service.push_job(session=session, actor=actor, job_id=id)
        )
        return PolicyPushJob.from_row(job)

    @strawberry.field(
        extensions=roles(Role.GOVERNMENT), description="一项政策的推送任务，由新到旧（至多 50 个）"
    )
    async def policy_push_jobs(self, info: Info, policy_id: strawberry.ID) -> list[PolicyPushJob]:
        jobs = await info.context.read(
            lambda session, actor: service.push_jobs(
                session=session, actor=actor, policy_id=policy_id
            )
        )
        return [PolicyPushJob.from_row(j) for j in jobs]


@strawberry.type
class PoliciesMutation:
    @strawberry.mutation(
        extensions=roles(Role.GOVERNMENT),
        description="发布政策（政府部门工作人员）；发布后需 pushPolicy 才会推送给企业",
    )
    async def publish_policy(self, info: Info, input: PublishPolicyInput) -> PolicyPayload:
        data = {
            "code": input.code,
            "title": input.title,
            "policy_type": input.policy_type,
            "issuer": input.issuer,
            "summary": input.summary,
            "body": input.body,
            "eligibility": input.eligibility,
            "region_codes": input.region_codes,
            "valid_from": input.valid_from,
            "valid_until": input.valid_until,
        }
        runtime = info.context.runtime
        policy, errors = await info.context.transact(
            lambda session, actor: service.publish_policy(
                session=session, runtime=runtime, actor=actor, data=data
            )
        )
        return PolicyPayload(policy=Policy.from_row(policy) if policy else None, errors=errors)

    @strawberry.mutation(
        extensions=roles(Role.GOVERNMENT), description="撤回政策（政府部门工作人员）"
    )
    async def withdraw_policy(self, info: Info, input: WithdrawPolicyInput) -> PolicyPayload:
        runtime = info.context.runtime
        policy, errors = await info.context.transact(
            lambda session, actor: service.withdraw_policy(
                session=session,
                runtime=runtime,
                actor=actor,
                policy_id=input.policy_id,
                reason=input.reason,
            )
        )
        return PolicyPayload(policy=Policy.from_row(policy) if policy else None, errors=errors)

    @strawberry.mutation(
        extensions=roles(Role.GOVERNMENT),
        description="把政策推送给所有符合条件的企业（后台执行，用 policyPushJob 查看进度）。"
        "同一政策已有未完成的任务时返回该任务；每家企业只收到一次",
    )
    async def push_policy(
        self,
        info: Info,
        policy_id: Annotated[strawberry.ID, strawberry.argument(description="政策编号")],
    ) -> PushPolicyPayload:
        runtime = info.context.runtime
        job, errors = await info.context.transact(
            lambda session, actor: service.request_push(
                session=session, runtime=runtime, actor=actor, policy_id=policy_id
            )
        )
        if job is None:
            return PushPolicyPayload(job=None, errors=errors)
        start_push(runtime, job.id)  # after the commit: the job row is there for the runner
        return PushPolicyPayload(job=PolicyPushJob.from_row(job), errors=errors)
