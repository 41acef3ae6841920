"""Loading the seed files: data providers always, demo institutions, accounts and records in
development. Every step is idempotent; demo records go through the same ingestion path as a
provider's."""

from __future__ import annotations

import json
import logging
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import select

from backend.credit import ingest
from backend.credit.models import DataProvider
from backend.identity import service as identity
from backend.identity.models import Account, Role
from backend.institutions.models import Institution
from backend.lending.product_seed import seed_products
from backend.policies.seed import push_new_seed_policies, seed_policies
from backend.runtime import Runtime
from backend.security.actor import Actor

log = logging.getLogger("xinrong.seed")
SEED_DIR = Path(__file__).resolve().parents[1] / "seed_products"
DEMO_BATCH_PREFIX = "demo-"


@dataclass
class SeedReport:
    """What one seeding run created (zero everywhere on a second run)."""

    providers: int = 0
    institutions: int = 0
    accounts: int = 0
    products: int = 0  # loan products published or given a new version from products.json
    policies: int = 0  # subsidy policies created or updated from policies.json
    pushed_policies: int = 0  # seed policies pushed to the demo firms (demo only, once)
    record_batches: dict[str, str] = field(default_factory=dict)


def _read_json(path: Path) -> Any:
    with path.open(encoding="utf-8") as handle:
        return json.load(handle)


def _read_jsonl(path: Path) -> list[Any]:
    with path.open(encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


async def seed_reference(runtime: Runtime, report: SeedReport, seed_dir: Path) -> None:
    """Data providers of the province (always loaded; edited by the province)."""
    document = _read_json(seed_dir / "data_providers.json")
    async with runtime.sessionmaker() as session:
        for item in document["providers"]:
            provider = (
                await session.execute(select(DataProvider).where(DataProvider.code == item["code"]))
            ).scalar_one_or_none()
            if provider is None:
                session.add(DataProvider(**item))
                report.providers += 1
            else:
                provider.name = item["name"]
                provider.categories = item["categories"]
        await session.commit()


async def seed_demo(runtime: Runtime, report: SeedReport, seed_dir: Path) -> None:
    """Demo institution, staff accounts and the demo enterprises' records."""
    demo = seed_dir / "demo"
    system = Actor.system(request_id="seed")
    async with runtime.sessionmaker() as session:
        for item in _read_json(demo / "institutions.json")["institutions"]:
            exists = (
                await session.execute(select(Institution).where(Institution.uscc == item["uscc"]))
            ).scalar_one_or_none()
            if exists is None:
                session.add(Institution(**item))
                report.institutions += 1
        await session.commit()

        accounts = _read_json(demo / "accounts.json")
        for item in accounts["accounts"]:
            if (
                await session.execute(select(Account.id).where(Account.phone == item["phone"]))
            ).first():
                continue
            institution_id = None
            if "institution_uscc" in item:
                institution_id = (
                    await session.execute(
                        select(Institution.id).where(Institution.uscc == item["institution_uscc"])
                    )
                ).scalar_one()
            provider_id = None
            if "data_provider_code" in item:
                provider_id = (
                    await session.execute(
                        select(DataProvider.id).where(
                            DataProvider.code == item["data_provider_code"]
                        )
                    )
                ).scalar_one()
            await identity.create_staff_account(
                session=session,
                runtime=runtime,
                actor=system,
                phone=item["phone"],
                password=accounts["password"],
                display_name=item["display_name"],
                role=Role(item["role"]),
                institution_id=institution_id,
                data_provider_id=provider_id,
                department=item.get("department"),
            )
            report.accounts += 1
        await session.commit()

    # Registration first: records of every other category refer to registered enterprises.
    for path in sorted(demo.glob("*.jsonl"), key=lambda p: (p.stem != "registration", p.stem)):
        await _ingest_demo_file(runtime, report, path)


async def _ingest_demo_file(runtime: Runtime, report: SeedReport, path: Path) -> None:
    """Send a demo JSONL file as its provider would: ``<category>.jsonl`` → one batch."""
    category = path.stem
    async with runtime.sessionmaker() as session:
        provider = next(
            p
            for p in (await session.execute(select(DataProvider))).scalars()
            if category in (p.categories or [])
        )
        account = (
            await session.execute(
                select(Account).where(Account.data_provider_id == provider.id).limit(1)
            )
        ).scalar_one()
        actor = identity.actor_for(account, client_ip=None, request_id="seed")
        outcome = await ingest.ingest_records(
            session=session,
            runtime=runtime,
            actor=actor,
            batch_id=f"{DEMO_BATCH_PREFIX}{category}-v1",
            category=category,
            records=_read_jsonl(path),
        )
        if outcome.row_errors:
            raise RuntimeError(f"demo file {path.name} has bad rows: {outcome.row_errors}")
        await session.commit()
        report.record_batches[category] = "replayed" if outcome.replayed else outcome.batch.status


async def seed(runtime: Runtime, *, demo: bool, seed_dir: Path = SEED_DIR) -> SeedReport:
    """Load reference data, and the demo data when ``demo`` (never in production)."""
    if demo and runtime.settings.is_production:
        raise RuntimeError("demo data is never loaded when XINRONG_ENV=production")
    report = SeedReport()
    await seed_reference(runtime, report, seed_dir)
    # Every run, not only demo: the example catalogue of institutions and products, and the
    # example policies. Not in production, where institutions are admitted by government staff
    # after a security assessment and publish their own products, and government staff publish
    # the real policies (a province that has vetted the files loads them with
    # XINRONG_SEED_PRODUCTS=1). Policies are loaded, never pushed, here.
    if not runtime.settings.is_production or os.environ.get("XINRONG_SEED_PRODUCTS") == "1":
        loaded = await seed_products(runtime, seed_dir)
        report.institutions += loaded.institutions
        report.products += loaded.products + loaded.versions
        policies = await seed_policies(runtime, seed_dir)
        report.policies += policies.created + policies.updated
    if demo:
        await seed_demo(runtime, report, seed_dir)
        # The demo firms get their policy messages, as if staff had pushed each seed policy
        # (once: a policy pushed before is left to incremental matching).
        report.pushed_policies += await push_new_seed_policies(runtime)
    log.info("seeded", extra={"path": str(seed_dir)})
    return report
