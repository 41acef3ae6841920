"""The seed products (seed_products/products.json): counts, idempotent loading, new versions when
the province edits the file, loud failure on a bad entry, and clearly different matches for
the four demo enterprises."""

from __future__ import annotations

import json
import shutil
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import func, select

from backend.enterprises.models import Enterprise, EnterpriseFeatures
from backend.identity.uscc import parse_uscc
from backend.institutions.models import Institution
from backend.lending.models import LoanProduct, LoanProductVersion
from backend.lending.product_seed import SEED_FILE, SeedFileError, read_seed_file, seed_products
from backend.seed import SEED_DIR, seed
from matching.facts import CATALOG
from matching.rules import Status, evaluate, parse_rule
from tests.support.builders import DEMO_ENTERPRISES, demo_bank, load_demo

DEMO_BANK_USCC = "91371300MA3DEM0B1A"


def seed_document() -> dict:
    return json.loads((SEED_DIR / SEED_FILE).read_text(encoding="utf-8"))


def test_the_seed_file_has_enough_products_institutions_and_a_guarantor():
    # given the seed file as the province ships it
    version, institutions = read_seed_file(SEED_DIR / SEED_FILE)
    document = seed_document()

    # then it is versioned, says who edits it, and holds what the issue asks for
    assert version and "省" in document["note"]
    assert len(institutions) >= 7
    assert sum(len(i.products) for i in institutions) >= 24
    kinds = Counter(i.kind for i in institutions)
    assert kinds["GUARANTOR"] >= 1 and kinds["BANK"] >= 5
    # every USCC validates, the demo bank owns several Linyi products
    assert all(parse_uscc(i.uscc).code == i.uscc for i in institutions)
    demo = next(i for i in institutions if i.uscc == DEMO_BANK_USCC)
    assert demo.name == "临沂示范银行" and len(demo.products) >= 3
    assert all(p.region_codes == ["3713"] for p in demo.products)
    # every rule parses, and the regions of the seeds are all there, plus nationwide products
    regions = {code for i in institutions for p in i.products for code in p.region_codes}
    assert {"3713", "32", "64"} <= regions
    assert any(not p.region_codes for i in institutions for p in i.products)
    for institution in institutions:
        for product in institution.products:
            assert parse_rule(product.eligibility).conditions


def test_a_bad_entry_fails_loudly_naming_the_product(tmp_path: Path):
    # given a copy of the seed file with a percentage typed as a rate and an unknown fact
    document = seed_document()
    product = document["institutions"][0]["products"][0]
    product["min_annual_rate"] = "4.35"
    product["eligibility"] = {"all": [{"fact": "turnover", "op": "gte", "value": 1}]}
    path = tmp_path / SEED_FILE
    path.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")

    # when it is read, then the error names the institution, the product and both fields
    with pytest.raises(SeedFileError) as failure:
        read_seed_file(path)
    message = str(failure.value)
    assert product["name"] in message and product["code"] in message
    assert "minAnnualRate" in message and "eligibility.all[0].fact" in message


async def counts(runtime) -> tuple[int, int, int]:
    async with runtime.sessionmaker() as session:
        return tuple(
            [
                (await session.execute(select(func.count()).select_from(model))).scalar_one()
                for model in (Institution, LoanProduct, LoanProductVersion)
            ]
        )


async def test_seeding_twice_creates_nothing_new(runtime):
    # given the reference seed run once (no demo data: products load on every run)
    first = await seed(runtime, demo=False)
    after_first = await counts(runtime)

    # when it runs again
    second = await seed(runtime, demo=False)

    # then the first run created the institutions and products, the second nothing
    _, institutions = read_seed_file(SEED_DIR / SEED_FILE)
    products = sum(len(i.products) for i in institutions)
    assert (first.institutions, first.products) == (len(institutions), products)
    assert (second.institutions, second.products) == (0, 0)
    assert after_first == (len(institutions), products, products)
    assert await counts(runtime) == after_first


async def test_an_edited_product_becomes_a_new_version_and_bank_edits_survive(
    runtime, tmp_path: Path
):
    # given the seed loaded from a copy of the seed directory
    seed_dir = tmp_path / "seed"
    shutil.copytree(SEED_DIR, seed_dir)
    await seed_products(runtime, seed_dir)
    document = seed_document()
    first, second = document["institutions"][0]["products"][:2]

    # when the province raises one product's maximum in the file
    first["max_amount"] = "4000000"
    (seed_dir / SEED_FILE).write_text(json.dumps(document, ensure_ascii=False), "utf-8")
    report = await seed_products(runtime, seed_dir)

    # then that product alone gets version 2; the rest are untouched
    assert (report.products, report.versions, report.institutions) == (0, 1, 0)
    async with runtime.sessionmaker() as session:
        product = (
            await session.execute(select(LoanProduct).where(LoanProduct.code == first["code"]))
        ).scalar_one()
        other = (
            await session.execute(select(LoanProduct).where(LoanProduct.code == second["code"]))
        ).scalar_one()
        assert (product.version, str(product.max_amount)) == (2, "4000000.00")
        assert other.version == 1
        # and when the bank then edits the other product itself (an account behind the version)
        other.name = "银行改过的名称"
        other.version = 2
        session.add(
            LoanProductVersion(
                product_id=other.id,
                version=2,
                snapshot={"name": other.name},
                created_by_account_id=1,
            )
        )
        await session.commit()
    again = await seed_products(runtime, seed_dir)
    # then restarting does not undo the bank's edit
    assert (again.products, again.versions) == (0, 0)
    async with runtime.sessionmaker() as session:
        assert (await session.get(LoanProduct, other.id)).name == "银行改过的名称"


async def test_the_demo_bank_owns_seed_products_and_the_catalogue_shows_them(client, runtime):
    # given the demo loaded as `make run` does
    await load_demo(runtime)
    bank = await demo_bank(client, runtime)

    # then the demo bank (created once, by the product seed) has its Linyi products on sale
    async with runtime.sessionmaker() as session:
        banks = (
            (await session.execute(select(Institution).where(Institution.uscc == DEMO_BANK_USCC)))
            .scalars()
            .all()
        )
        owned = (
            await session.execute(
                select(func.count())
                .select_from(LoanProduct)
                .where(LoanProduct.institution_id == bank.institution_id)
            )
        ).scalar_one()
    assert [b.id for b in banks] == [bank.institution_id]
    assert banks[0].security_assessment["passed"] is True
    assert owned >= 3
    result = await client.execute(
        'query { loanProducts(first: 100, regionCode: "371302") { items { name } } }'
    )
    names = {item["name"] for item in result.data["loanProducts"]["items"]}
    assert {"融沂贷", "四雁振兴贷", "融信担", "信易贷·信用快贷"} <= names
    assert "苏科贷" not in names and "银税贷" not in names


def _facts(row: EnterpriseFeatures) -> dict:
    return {name: getattr(row, name) for name in CATALOG}


def _status(product: LoanProduct, facts: dict) -> Status:
    # As the matcher does: a product that does not serve the firm's region is not for it.
    regions = tuple(product.region_codes or ())
    if regions and not str(facts["region_code"] or "").startswith(regions):
        return Status.INELIGIBLE
    return evaluate(parse_rule(product.eligibility), facts).status


async def test_the_four_demo_firms_get_clearly_different_matches(runtime):
    # given the demo data and the seed products
    await load_demo(runtime)
    async with runtime.sessionmaker() as session:
        rows = (
            await session.execute(
                select(Enterprise.uscc, EnterpriseFeatures).join(
                    EnterpriseFeatures, EnterpriseFeatures.enterprise_id == Enterprise.id
                )
            )
        ).all()
        catalogue = (
            (await session.execute(select(LoanProduct).order_by(LoanProduct.id))).scalars().all()
        )
    features = {uscc: _facts(row) for uscc, row in rows}
    assert set(features) == {e.uscc for e in DEMO_ENTERPRISES}

    # when every product's rule is evaluated over each firm's stored features
    outcomes = {
        uscc: tuple(_status(product, facts) for product in catalogue)
        for uscc, facts in features.items()
    }

    # then each firm has something to apply for, something it misses, something to declare
    for uscc, statuses in outcomes.items():
        assert Status.ELIGIBLE in statuses, uscc
        assert Status.INELIGIBLE in statuses, uscc
        assert Status.UNKNOWN in statuses, uscc
    # and no two firms see the same picture
    assert len(set(outcomes.values())) == len(outcomes)
    # and the misses in the firm's own region are near: one or two conditions
    near = 0
    for facts in features.values():
        for product in catalogue:
            regions = tuple(product.region_codes or ())
            if regions and not facts["region_code"].startswith(regions):
                continue
            result = evaluate(parse_rule(product.eligibility), facts)
            if result.status == Status.INELIGIBLE and len(result.unmet) <= 2:
                near += 1
    assert near >= 8
