"""Loan products: publishing, revising and pausing them (the owning institution's staff and API
tokens with PRODUCTS), the public catalogue, and the version snapshots applications point at.

Every published state of a product is kept as a ``LoanProductVersion`` snapshot; an update
writes version n+1 and never touches the snapshots before it, so an application keeps the terms
it applied to. Another institution's product is NOT_FOUND, never FORBIDDEN: a bank cannot learn
that a competitor's paused product exists. Status changes (ACTIVE ⇄ PAUSED, → RETIRED for good)
are not new versions: they change whether a product takes applications, not its terms.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any

from sqlalchemy import ColumnElement, String, cast, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from backend.audit import service as audit
from backend.db.base import utcnow
from backend.errors import DomainError, ErrorCode, check_each
from backend.identity.models import Role
from backend.institutions.access import acting_institution
from backend.institutions.models import ApiScope, Institution, InstitutionStatus
from backend.lending.models import LoanProduct, LoanProductVersion, ProductStatus, ProductType
from backend.lending.product_checks import (
    FIELDS,
    ProductFields,
    check_product,
    region_filter,
    type_filter,
)
from backend.pagination import check_page_size, decode_cursor, encode_cursor
from backend.runtime import Runtime
from backend.security.actor import Actor

_CURSOR_TAG = "products"
NOT_FOUND_MESSAGE = "找不到该贷款产品"

#: Allowed status changes; RETIRED (下架) is final.
TRANSITIONS = {
    ProductStatus.ACTIVE: frozenset({ProductStatus.PAUSED, ProductStatus.RETIRED}),
    ProductStatus.PAUSED: frozenset({ProductStatus.ACTIVE, ProductStatus.RETIRED}),
    ProductStatus.RETIRED: frozenset(),
}
STATUS_LABELS = {
    ProductStatus.ACTIVE: "在售",
    ProductStatus.PAUSED: "暂停",
    ProductStatus.RETIRED: "已下架",
}


@dataclass(frozen=True)
class ProductPage:
    """A page of products with their institutions, newest first, and the next page's cursor."""

    items: list[tuple[LoanProduct, Institution]]
    has_next_page: bool
    end_cursor: str | None


# --- who may -------------------------------------------------------------------------------


def product_manager(actor: Actor) -> int:
    """The actor's institution id when it may manage products (staff, or a token with PRODUCTS)."""
    return acting_institution(actor, ApiScope.PRODUCTS, "发布和管理贷款产品")


async def _active_institution(session: AsyncSession, institution_id: int) -> Institution:
    institution = await session.get(Institution, institution_id)
    if institution is None or institution.status != InstitutionStatus.ACTIVE.value:
        raise DomainError(ErrorCode.FORBIDDEN, "本机构当前未处于正常接入状态，不能发布或修改产品")
    return institution


async def _own_product(session: AsyncSession, institution_id: int, product_id: int) -> LoanProduct:
    # Locked (PostgreSQL) so that two concurrent revisions get consecutive versions.
    product = await session.get(LoanProduct, product_id, with_for_update=True)
    if product is None or product.institution_id != institution_id:
        raise DomainError(ErrorCode.NOT_FOUND, NOT_FOUND_MESSAGE, field="productId")
    return product


async def _check_code_free(
    session: AsyncSession, institution_id: int, code: str | None, product_id: int | None = None
) -> None:
    if code is None:
        return
    query = select(LoanProduct.id).where(
        LoanProduct.institution_id == institution_id, LoanProduct.code == code
    )
    if product_id is not None:
        query = query.where(LoanProduct.id != product_id)
    if (await session.execute(query)).first() is not None:
        raise DomainError(ErrorCode.CONFLICT, f"本机构已有产品代码“{code}”", field="code")


def current_terms(product: LoanProduct) -> dict[str, Any]:
    """A product row's terms by field name (the input of ``check_product``)."""
    return {name: getattr(product, name) for name in FIELDS}


# --- writing -------------------------------------------------------------------------------


async def _flush(session: AsyncSession, code: str | None) -> None:
    try:
        await session.flush()
    except IntegrityError as exc:  # the same code taken a moment ago by a colleague
        raise DomainError(ErrorCode.CONFLICT, f"本机构已有产品代码“{code}”", field="code") from exc


async def create_product(
    *,
    session: AsyncSession,
    runtime: Runtime,
    actor: Actor,
    institution_id: int,
    fields: ProductFields,
) -> LoanProduct:
    """Write a checked product as version 1 with its snapshot and audit row (no permission
    check: ``publish_product`` and the seed loader decide who may)."""
    await _check_code_free(session, institution_id, fields.code)
    now = utcnow()
    product = LoanProduct(
        institution_id=institution_id,
        **asdict(fields),
        status=ProductStatus.ACTIVE.value,
        version=1,
        created_by_account_id=actor.account_id,
        created_at=now,
        updated_at=now,
    )
    session.add(product)
    await _flush(session, fields.code)
    session.add(
        LoanProductVersion(
            product_id=product.id,
            version=1,
            snapshot=fields.snapshot(),
            created_by_account_id=actor.account_id,
        )
    )
    await session.flush()
    await audit.record(
        session,
        keyring=runtime.keyring,
        actor=actor,
        action="product.publish",
        subject_type="loan_product",
        subject_id=product.id,
        institution_id=institution_id,
        details={"name": fields.name, "code": fields.code, "version": 1},
    )
    return product


async def revise_product(
    *,
    session: AsyncSession,
    runtime: Runtime,
    actor: Actor,
    product: LoanProduct,
    fields: ProductFields,
) -> LoanProduct:
    """Apply checked terms as the next version (nothing happens when they are unchanged)."""
    before = ProductFields(**current_terms(product)).snapshot()
    after = fields.snapshot()
    changed = [name for name in FIELDS if before[name] != after[name]]
    if not changed:
        return product
    await _check_code_free(session, product.institution_id, fields.code, product.id)
    for name in changed:
        setattr(product, name, getattr(fields, name))
    product.version += 1
    product.updated_at = utcnow()
    await _flush(session, fields.code)
    session.add(
        LoanProductVersion(
            product_id=product.id,
            version=product.version,
            snapshot=after,
            created_by_account_id=actor.account_id,
        )
    )
    await session.flush()
    await audit.record(
        session,
        keyring=runtime.keyring,
        actor=actor,
        action="product.update",
        subject_type="loan_product",
        subject_id=product.id,
        institution_id=product.institution_id,
        details={"version": product.version, "changed": changed},
    )
    return product


async def publish_product(
    *, session: AsyncSession, runtime: Runtime, actor: Actor, terms: Mapping[str, Any]
) -> LoanProduct:
    """Publish a product of the actor's institution (ACTIVE, version 1).

    ``terms`` holds the fields of ``product_checks.FIELDS`` by name; every bad field is reported
    together, a bad rule as INVALID_RULE with its path, a code the institution already uses as
    CONFLICT.
    """
    institution_id = product_manager(actor)
    await _active_institution(session, institution_id)
    fields = check_product(terms)
    return await create_product(
        session=session, runtime=runtime, actor=actor, institution_id=institution_id, fields=fields
    )


async def update_product(
    *,
    session: AsyncSession,
    runtime: Runtime,
    actor: Actor,
    product_id: int,
    changes: Mapping[str, Any],
) -> LoanProduct:
    """Change some terms of an own product: the whole is checked again and becomes the next
    version. A RETIRED product cannot change (CONFLICT); another institution's is NOT_FOUND."""
    institution_id = product_manager(actor)
    await _active_institution(session, institution_id)
    product = await _own_product(session, institution_id, product_id)
    if product.status == ProductStatus.RETIRED.value:
        raise DomainError(ErrorCode.CONFLICT, "该产品已下架，不能再修改", field="productId")
    unknown = set(changes) - set(FIELDS)
    if unknown:  # a programming error in a caller, not user input
        raise ValueError(f"unknown product fields: {sorted(unknown)}")
    fields = check_product({**current_terms(product), **changes})
    return await revise_product(
        session=session, runtime=runtime, actor=actor, product=product, fields=fields
    )


async def set_product_status(
    *,
    session: AsyncSession,
    runtime: Runtime,
    actor: Actor,
    product_id: int,
    status: ProductStatus | str,
) -> LoanProduct:
    """Pause, resume or retire an own product; RETIRED is final (CONFLICT afterwards)."""
    institution_id = product_manager(actor)
    try:
        target = ProductStatus(getattr(status, "value", status))
    except ValueError as exc:
        raise DomainError(
            ErrorCode.VALIDATION_ERROR, "状态应为 ACTIVE、PAUSED 或 RETIRED", field="status"
        ) from exc
    await _active_institution(session, institution_id)
    product = await _own_product(session, institution_id, product_id)
    current = ProductStatus(product.status)
    if target not in TRANSITIONS[current]:
        message = (
            "该产品已下架，状态不能再变更"
            if current == ProductStatus.RETIRED
            else f"该产品当前已是“{STATUS_LABELS[current]}”状态"
        )
        raise DomainError(ErrorCode.CONFLICT, message, field="status")
    product.status = target.value
    product.updated_at = utcnow()
    await session.flush()
    await audit.record(
        session,
        keyring=runtime.keyring,
        actor=actor,
        action="product.status",
        subject_type="loan_product",
        subject_id=product.id,
        institution_id=institution_id,
        details={"from": current.value, "to": target.value, "version": product.version},
    )
    return product


# --- reading -------------------------------------------------------------------------------


async def get_product(*, session: AsyncSession, product_id: int) -> LoanProduct:
    """A product in any status (for other services, which check visibility themselves)."""
    product = await session.get(LoanProduct, product_id)
    if product is None:
        raise DomainError(ErrorCode.NOT_FOUND, NOT_FOUND_MESSAGE, field="productId")
    return product


async def product_version_snapshot(
    *, session: AsyncSession, product_id: int, version: int
) -> dict[str, Any]:
    """The terms of one published version (amounts and rates as strings), as applied to."""
    snapshot = (
        await session.execute(
            select(LoanProductVersion.snapshot).where(
                LoanProductVersion.product_id == product_id, LoanProductVersion.version == version
            )
        )
    ).scalar_one_or_none()
    if snapshot is None:
        raise DomainError(ErrorCode.NOT_FOUND, "找不到该产品版本", field="productId")
    return dict(snapshot)


async def visible_product(
    *, session: AsyncSession, actor: Actor, product_id: int
) -> tuple[LoanProduct, Institution] | None:
    """A product and its institution as ``actor`` may see it: an ACTIVE product of an ACTIVE
    institution for anyone, any product of their own institution for its staff; else None."""
    row = (
        await session.execute(
            select(LoanProduct, Institution)
            .join(Institution, Institution.id == LoanProduct.institution_id)
            .where(LoanProduct.id == product_id)
        )
    ).first()
    if row is None:
        return None
    product, institution = row
    own = (
        actor.role == Role.INSTITUTION.value
        and actor.institution_id == institution.id
        and actor.may_use(ApiScope.PRODUCTS.value)
    )
    public = (
        product.status == ProductStatus.ACTIVE.value
        and institution.status == InstitutionStatus.ACTIVE.value
    )
    return (product, institution) if own or public else None


def serves_region(region: str) -> ColumnElement[bool]:
    """Products serving ``region`` (a 2/4/6-digit prefix): nationwide ones, those for a region
    containing it (a firm in 371302 sees 37, 3713 and 371302 products) and, for a province or
    city, those for places inside it (a bank officer browsing 3713 also sees 371311 ones).

    Matched on the JSON text of ``region_codes`` (codes are digits in quotes on both back ends):
    products are a small reference table, so no index is needed for it.
    """
    text = cast(LoanProduct.region_codes, String)
    enclosing = [region[:size] for size in (2, 4) if size < len(region)]
    return or_(
        text.in_(["[]", ""]),
        text.like(f'%"{region}%'),  # the region itself and places inside it
        *(text.like(f'%"{prefix}"%') for prefix in enclosing),
    )


async def loan_products(
    *,
    session: AsyncSession,
    first: int = 20,
    after: str | None = None,
    region_code: str | None = None,
    product_type: ProductType | str | None = None,
    institution_id: int | None = None,
    include_inactive: bool = False,
    status: ProductStatus | str | None = None,
    actor: Actor | None = None,
) -> ProductPage:
    """One page of the catalogue, newest first: ACTIVE products of ACTIVE institutions,
    filtered by the region served and the type (no sign-in needed).

    With ``include_inactive`` it is an institution's own list in every status (or ``status``):
    then ``actor`` must be that institution's staff (or a token with PRODUCTS).
    """
    filters: list[Any] = check_each(
        lambda: region_filter(region_code),
        lambda: type_filter(product_type),
        lambda: check_page_size(first),
        lambda: decode_cursor(_CURSOR_TAG, after) if after else None,
    )
    region, kind, size, after_id = filters
    conditions: list[ColumnElement[bool]] = []
    if include_inactive:
        if actor is None or product_manager(actor) != institution_id:
            raise DomainError(ErrorCode.FORBIDDEN, "只能查看本机构的全部产品")
        if status is not None:
            wanted = ProductStatus(getattr(status, "value", status)).value
            conditions.append(LoanProduct.status == wanted)
    else:
        conditions.append(LoanProduct.status == ProductStatus.ACTIVE.value)
        conditions.append(Institution.status == InstitutionStatus.ACTIVE.value)
    if institution_id is not None:
        conditions.append(LoanProduct.institution_id == institution_id)
    if region is not None:
        conditions.append(serves_region(region))
    if kind is not None:
        conditions.append(LoanProduct.product_type == kind)
    if after_id is not None:
        conditions.append(LoanProduct.id < after_id)
    rows = (
        await session.execute(
            select(LoanProduct, Institution)
            .join(Institution, Institution.id == LoanProduct.institution_id)
            .where(*conditions)
            .order_by(LoanProduct.id.desc())
            .limit(size + 1)
        )
    ).all()
    items = [(product, institution) for product, institution in rows[:size]]
    has_next = len(rows) > size
    end_cursor = encode_cursor(_CURSOR_TAG, items[-1][0].id) if items else None
    return ProductPage(items=items, has_next_page=has_next, end_cursor=end_cursor)
