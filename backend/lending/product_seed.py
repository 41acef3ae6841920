"""Loading ``seed_products/products.json``: the province's institutions and their loan products.

Idempotent, and run on every ``xinrong seed`` and first ``serve``:

* an institution is matched by USCC and created (ACTIVE, with its security assessment) when
  missing; an existing one is left as government staff keep it (status, name, regions);
* a product is matched by (institution USCC, product code): missing → published as version 1;
  unchanged since the seed last wrote it → untouched; changed in the file → the next version.
  The comparison is with the last version the seed itself wrote, so a bank's own edits through
  ``updateLoanProduct`` survive restarts until the province changes that product in the file.
  Retired products are left alone.

Products go through the same checks as ``publishLoanProduct``; a bad entry fails the whole run
with the institution and product named, before anything is written.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, cast

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from backend.audit import service as audit
from backend.clock import china_today
from backend.db.base import utcnow
from backend.errors import DomainError, check_each
from backend.identity.uscc import parse_uscc
from backend.institutions import checks
from backend.institutions.models import Institution, InstitutionStatus
from backend.lending import products
from backend.lending.models import LoanProduct, LoanProductVersion, ProductStatus
from backend.lending.product_checks import ProductFields, check_product
from backend.runtime import Runtime
from backend.security.actor import Actor

SEED_FILE = "products.json"


class SeedFileError(ValueError):
    """The seed file cannot be loaded; the message names the entry and every bad field."""


@dataclass
class ProductSeedReport:
    """What one run did: institutions created, products created, new versions, untouched."""

    institutions: int = 0
    products: int = 0
    versions: int = 0
    unchanged: int = 0


@dataclass(frozen=True)
class _SeedInstitution:
    name: str
    uscc: str
    kind: str
    region_codes: list[str]
    assessment: dict[str, Any]
    products: list[ProductFields]


def _failure(where: str, error: DomainError) -> SeedFileError:
    details = "；".join(f"{e.field or '-'}: {e.message}" for e in error.all)
    return SeedFileError(f"{SEED_FILE}: {where}: {details}")


def _assessment(raw: Any, where: str) -> dict[str, Any]:
    """The recorded assessment: complete and passed. Its age is not checked here (it was
    checked when the province admitted the institution; a seed file must not expire)."""
    given = raw if isinstance(raw, dict) else {}
    try:
        on = date.fromisoformat(str(given.get("assessed_on")))
    except ValueError:
        on = None
    if (
        not str(given.get("report_number") or "").strip()
        or not str(given.get("assessor") or "").strip()
        or given.get("passed") is not True
        or on is None
        or on > china_today()
    ):
        raise SeedFileError(
            f"{SEED_FILE}: {where}: security_assessment 须有 report_number、assessor、"
            "不晚于今天的 assessed_on，且 passed 为 true"
        )
    return {**given, "assessed_on": on.isoformat()}


def _institution(raw: dict[str, Any]) -> _SeedInstitution:
    where = f"机构“{raw.get('name')}”（{raw.get('uscc')}）"
    try:
        institution: list[Any] = check_each(
            lambda: checks.institution_name(raw.get("name")),
            lambda: parse_uscc(str(raw.get("uscc")), field="uscc").code,
            lambda: checks.institution_kind(str(raw.get("kind"))).value,
            lambda: checks.region_prefixes(raw.get("region_codes")),
        )
    except DomainError as exc:
        raise _failure(where, exc) from exc
    name, uscc, kind, regions = institution
    fields: list[ProductFields] = []
    codes: set[str] = set()
    for item in raw.get("products") or []:
        here = f"{where} 的产品“{item.get('name')}”（{item.get('code')}）"
        try:
            checked = check_product(item)
        except DomainError as exc:
            raise _failure(here, exc) from exc
        if checked.code is None or checked.code in codes:
            raise SeedFileError(f"{SEED_FILE}: {here}: 每个产品须有机构内唯一的 code")
        codes.add(checked.code)
        fields.append(checked)
    return _SeedInstitution(
        name, uscc, kind, regions, _assessment(raw.get("security_assessment"), where), fields
    )


def read_seed_file(path: Path) -> tuple[str, list[_SeedInstitution]]:
    """The file's version and its checked institutions and products (SeedFileError if bad)."""
    document = json.loads(path.read_text(encoding="utf-8"))
    institutions = [_institution(item) for item in document.get("institutions") or []]
    usccs = [i.uscc for i in institutions]
    if len(set(usccs)) != len(usccs):
        raise SeedFileError(f"{SEED_FILE}: 同一统一社会信用代码的机构出现了两次")
    return str(document.get("version") or ""), institutions


async def _ensure_institution(
    session: AsyncSession, runtime: Runtime, actor: Actor, item: _SeedInstitution, version: str
) -> tuple[Institution, bool]:
    found = (
        await session.execute(select(Institution).where(Institution.uscc == item.uscc))
    ).scalar_one_or_none()
    if found is not None:
        return found, False
    institution = Institution(
        name=item.name,
        uscc=item.uscc,
        kind=item.kind,
        status=InstitutionStatus.ACTIVE.value,
        region_codes=item.region_codes,
        security_assessment=item.assessment,
        status_changed_at=utcnow(),
    )
    session.add(institution)
    await session.flush()
    await audit.record(
        session,
        keyring=runtime.keyring,
        actor=actor,
        # Not "institution.onboard": that is government staff admitting an institution.
        action="institution.seed",
        subject_type="institution",
        subject_id=institution.id,
        institution_id=institution.id,
        details={
            "name": item.name,
            "uscc": item.uscc,
            "kind": item.kind,
            "region_codes": item.region_codes,
            "assessment_report_number": item.assessment.get("report_number"),
            "assessed_on": item.assessment.get("assessed_on"),
            "source": f"seed_products/{SEED_FILE}",
            "file_version": version,
        },
    )
    return institution, True


async def _last_seeded(session: AsyncSession, product_ids: list[int]) -> dict[int, dict[str, Any]]:
    """Product id → the snapshot of the latest version the seed wrote (no account behind it)."""
    if not product_ids:
        return {}
    rows = await session.execute(
        select(LoanProductVersion.product_id, LoanProductVersion.snapshot)
        .where(
            LoanProductVersion.product_id.in_(product_ids),
            LoanProductVersion.created_by_account_id.is_(None),
        )
        .order_by(LoanProductVersion.product_id, LoanProductVersion.version)
    )
    latest: dict[int, dict[str, Any]] = {}
    for product_id, snapshot in rows:
        latest[cast(int, product_id)] = cast(dict[str, Any], snapshot)  # by version: last wins
    return latest


async def seed_products(runtime: Runtime, seed_dir: Path) -> ProductSeedReport:
    """Load the seed institutions and products in one transaction; see the module docstring."""
    version, institutions = read_seed_file(seed_dir / SEED_FILE)
    actor = Actor.system(request_id="seed")  # as every seeding step: the trail says "seed"
    report = ProductSeedReport()
    async with runtime.sessionmaker() as session:
        for item in institutions:
            institution, created = await _ensure_institution(session, runtime, actor, item, version)
            report.institutions += created
            existing = {
                p.code: p
                for p in (
                    await session.execute(
                        select(LoanProduct).where(LoanProduct.institution_id == institution.id)
                    )
                ).scalars()
            }
            seeded = await _last_seeded(session, [p.id for p in existing.values()])
            for fields in item.products:
                product = existing.get(fields.code)
                if product is None:
                    await products.create_product(
                        session=session,
                        runtime=runtime,
                        actor=actor,
                        institution_id=institution.id,
                        fields=fields,
                    )
                    report.products += 1
                elif (
                    seeded.get(product.id) == fields.snapshot()
                    or product.status == ProductStatus.RETIRED.value
                ):
                    report.unchanged += 1
                else:
                    before = product.version
                    await products.revise_product(
                        session=session,
                        runtime=runtime,
                        actor=actor,
                        product=product,
                        fields=fields,
                    )
                    changed = product.version != before
                    report.versions += changed
                    report.unchanged += not changed
        await session.commit()
    return report
