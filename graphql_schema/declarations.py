"""Self-declared information under a credit commitment: commitmentText, declarationCategories,
submitDeclaration, declarations, reviewDeclaration (and CreditProfile.declarations)."""

from __future__ import annotations

from datetime import datetime
from enum import Enum

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.scalars import JSON
from strawberry.types import Info

from backend.declarations import service as declarations
from backend.declarations.models import Declaration as DeclarationModel
from backend.declarations.models import DeclarationStatus as DeclarationStatusValue
from backend.enterprises.models import Enterprise as EnterpriseModel
from backend.errors import DomainError
from backend.identity.models import Role
from graphql_schema.errors import UserError, query_error
from graphql_schema.permissions import roles
from graphql_schema.types import Enterprise

DeclarationStatus = strawberry.enum(
    DeclarationStatusValue,
    name="DeclarationStatus",
    description="PENDING 待核查、CONFIRMED 已核实、REJECTED 未予采信、"
    "FOUND_FALSE 经核查不实（失信承诺）",
)


@strawberry.enum(description="政府核查自主申报的结果")
class DeclarationDecision(Enum):
    CONFIRM = "CONFIRM"
    REJECT = "REJECT"
    FOUND_FALSE = "FOUND_FALSE"


@strawberry.type(description="信用承诺书（带版本；提交时须接受当前版本）")
class CommitmentText:
    kind: str
    version: str
    title: str
    text: str
    sha256: str = strawberry.field(description="承诺书文本的 SHA-256，随申报一并保存")


@strawberry.type(description="自主申报类别中的字段")
class DeclarationField:
    name: str
    label: str
    type: str
    required: bool
    values: list[str] = strawberry.field(description="枚举字段的可选值")


@strawberry.type(description="可自主申报的类别")
class DeclarationCategory:
    code: str
    label: str
    fields: list[DeclarationField]


@strawberry.type(description="企业自主申报的信息（自主填报，与官方归集的信用记录分开展示）")
class Declaration:
    id: strawberry.ID
    category: str
    category_label: str
    content: JSON
    status: DeclarationStatus
    status_label: str
    commitment_version: str
    commitment_sha256: str
    declared_at: datetime
    reviewed_at: datetime | None
    review_reason: str | None
    self_declared: bool = strawberry.field(description="恒为 true：企业自主填报，非官方记录")
    enterprise: Enterprise

    @classmethod
    def from_model(cls, model: DeclarationModel, enterprise: EnterpriseModel) -> Declaration:
        """Shape a stored declaration and its enterprise."""
        return cls(
            id=strawberry.ID(str(model.id)),
            category=model.category,
            category_label=declarations.category_label(model.category),
            content=model.content,
            status=DeclarationStatusValue(model.status),
            status_label=declarations.status_label(model.status),
            commitment_version=model.commitment_version,
            commitment_sha256=model.commitment_sha256,
            declared_at=model.declared_at,
            reviewed_at=model.reviewed_at,
            review_reason=model.review_reason,
            self_declared=True,
            enterprise=Enterprise.from_model(enterprise),
        )


@strawberry.input(description="自主申报")
class SubmitDeclarationInput:
    category: str = strawberry.field(
        description="qualification 资质许可、operations 经营情况、contract_performance 履约情况、"
        "public_welfare 公益活动"
    )
    content: JSON = strawberry.field(description="申报内容（字段见 declarationCategories）")
    accept_commitment: bool = strawberry.field(description="是否接受《信用承诺书》，须为 true")
    commitment_version: str | None = strawberry.field(
        default=None, description="所阅读承诺书的版本；与当前版本不同则须重新阅读"
    )


@strawberry.input(description="核查自主申报")
class ReviewDeclarationInput:
    declaration_id: strawberry.ID
    decision: DeclarationDecision
    reason: str | None = strawberry.field(
        default=None, description="理由；REJECT 和 FOUND_FALSE 时必填"
    )


@strawberry.type
class DeclarationPayload:
    declaration: Declaration | None
    errors: list[UserError]


async def own_declarations(info: Info, enterprise: EnterpriseModel) -> list[Declaration]:
    """The current declarations of ``enterprise`` (for its credit profile)."""
    models = await info.context.read(
        lambda session, _actor: declarations.current_declarations(
            session=session, enterprise_id=enterprise.id
        )
    )
    return [Declaration.from_model(m, enterprise) for m in models]


async def _with_enterprise(
    session: AsyncSession, model: DeclarationModel
) -> tuple[DeclarationModel, EnterpriseModel]:
    enterprise = await session.get(EnterpriseModel, model.enterprise_id)
    assert enterprise is not None
    return model, enterprise


def _payload(
    result: tuple[DeclarationModel, EnterpriseModel] | None, errors: list[UserError]
) -> DeclarationPayload:
    if result is None:
        return DeclarationPayload(declaration=None, errors=errors)
    return DeclarationPayload(declaration=Declaration.from_model(*result), errors=[])


@strawberry.type
class DeclarationQuery:
    @strawberry.field(description="信用承诺书当前文本（公开）：kind 为 declaration 或 repair")
    def commitment_text(self, kind: str) -> CommitmentText:
        try:
            found = declarations.commitment(kind)
        except DomainError as exc:
            raise query_error(exc) from exc
        return CommitmentText(
            kind=found.kind,
            version=found.version,
            title=found.title,
            text=found.text,
            sha256=found.sha256,
        )

    @strawberry.field(description="可自主申报的类别及其字段（公开）")
    def declaration_categories(self) -> list[DeclarationCategory]:
        return [
            DeclarationCategory(
                code=spec.code,
                label=spec.label,
                fields=[
                    DeclarationField(
                        name=f.name,
                        label=f.label,
                        type=f.type,
                        required=f.required,
                        values=list(f.values),
                    )
                    for f in spec.fields
                ],
            )
            for spec in declarations.load_commitments().categories.values()
        ]

    @strawberry.field(
        extensions=roles(Role.GOVERNMENT),
        description="待核查及已核查的自主申报（仅政府工作人员），先提交的在前",
    )
    async def declarations(
        self, info: Info, status: DeclarationStatus | None = None, first: int = 50
    ) -> list[Declaration]:
        rows = await info.context.read(
            lambda session, actor: declarations.list_declarations(
                session=session,
                actor=actor,
                status=status.value if status else None,
                first=first,
            )
        )
        return [Declaration.from_model(d, e) for d, e in rows]


@strawberry.type
class DeclarationMutation:
    @strawberry.mutation(
        extensions=roles(Role.ENTERPRISE),
        description="自主申报信息（企业账户，须已实名认证，并接受《信用承诺书》）；"
        "同一类别的新申报替代旧申报",
    )
    async def submit_declaration(
        self, info: Info, input: SubmitDeclarationInput
    ) -> DeclarationPayload:
        ctx = info.context

        async def work(session, actor):  # type: ignore[no-untyped-def]
            model = await declarations.submit_declaration(
                session=session,
                runtime=ctx.runtime,
                actor=actor,
                category=input.category,
                content=input.content,
                accept_commitment=input.accept_commitment,
                commitment_version=input.commitment_version,
            )
            return await _with_enterprise(session, model)

        return _payload(*await ctx.transact(work))

    @strawberry.mutation(
        extensions=roles(Role.GOVERNMENT),
        description="核查自主申报（仅政府工作人员）：FOUND_FALSE 记为失信承诺并通知企业",
    )
    async def review_declaration(
        self, info: Info, input: ReviewDeclarationInput
    ) -> DeclarationPayload:
        ctx = info.context

        async def work(session, actor):  # type: ignore[no-untyped-def]
            model = await declarations.review_declaration(
                session=session,
                runtime=ctx.runtime,
                actor=actor,
                declaration_id=input.declaration_id,
                decision=input.decision.value,
                reason=input.reason,
            )
            return await _with_enterprise(session, model)

        return _payload(*await ctx.transact(work))
