"""Writing a synthetic dataset as one JSON Lines file per category, and loading it.

Rows go to disk as they are made (one enterprise's records at a time), so memory does not grow
with the dataset. Loading sends each file through ``backend.credit.bulk.ingest_stream`` as the
data provider that owns the category would, registration first, under a batch id made from the
file's hash: loading the same files again is a replay that changes nothing.
"""

from __future__ import annotations

import hashlib
import json
import random
import time
from collections.abc import AsyncIterator, Callable
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import IO, Any

from sqlalchemy import select

from backend.clock import china_today
from backend.credit.bulk import ingest_stream
from backend.credit.models import DataProvider
from backend.errors import DomainError, ErrorCode
from backend.identity.models import Role
from backend.runtime import Runtime
from backend.security.actor import Actor
from backend.synth.identities import EnterpriseFactory
from backend.synth.records import enterprise_records, month_list

#: The categories a dataset holds, in loading order (registration first).
CATEGORIES = (
    "registration",
    "tax",
    "social_insurance",
    "water_fee",
    "electricity_fee",
    "admin_penalty",
    "dishonest_list",
    "abnormal_operation",
)
MANIFEST = "manifest.json"
READ_BYTES = 1024 * 1024
WRITE_BUFFER = 256 * 1024
#: One encoder for every row: ``json.dumps`` with options builds a new one per call.
encode_row = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


@dataclass(frozen=True)
class SynthSummary:
    """What ``write_dataset`` wrote: rows per category file, and how long it took."""

    directory: Path
    enterprises: int
    seed: int
    as_of: date
    months: int
    counts: dict[str, int]
    seconds: float

    @property
    def records(self) -> int:
        """Rows written over all files."""
        return sum(self.counts.values())

    def path(self, category: str) -> Path:
        """The file of ``category``."""
        return self.directory / f"{category}.jsonl"


@dataclass(frozen=True)
class LoadResult:
    """The outcome of loading one category file as one batch."""

    category: str
    batch_id: str
    status: str
    accepted: int
    rejected: int
    replayed: bool
    seconds: float
    row_errors: list[dict[str, Any]] = field(default_factory=list)


def write_dataset(
    directory: Path,
    *,
    enterprises: int,
    seed: int = 2026,
    as_of: date | None = None,
    months: int = 24,
) -> SynthSummary:
    """Generate ``enterprises`` enterprises with their records into ``directory``."""
    as_of = as_of or china_today()
    directory.mkdir(parents=True, exist_ok=True)
    for stale in (directory / f"{category}.jsonl" for category in CATEGORIES):
        stale.unlink(missing_ok=True)
    factory = EnterpriseFactory(seed=seed, as_of=as_of)
    rng = records_rng(seed)
    window = month_list(as_of, months)
    counts = dict.fromkeys(CATEGORIES, 0)
    started = time.perf_counter()
    with ExitStack() as stack:
        handles: dict[str, IO[str]] = {}
        for index in range(enterprises):
            enterprise = factory.make(index)
            for category, row in enterprise_records(enterprise, rng, as_of, window):
                handle = handles.get(category)
                if handle is None:  # a file only for categories that have rows
                    handle = stack.enter_context(
                        (directory / f"{category}.jsonl").open(
                            "w", encoding="utf-8", buffering=WRITE_BUFFER
                        )
                    )
                    handles[category] = handle
                handle.write(encode_row(row))
                handle.write("\n")
                counts[category] += 1
    seconds = time.perf_counter() - started
    counts = {category: count for category, count in counts.items() if count}
    manifest = {
        "seed": seed,
        "as_of": as_of.isoformat(),
        "enterprises": enterprises,
        "months": months,
        "counts": counts,
    }
    (directory / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    return SynthSummary(directory, enterprises, seed, as_of, months, counts, seconds)


def records_rng(seed: int) -> random.Random:
    """The stream records are drawn from: apart from the enterprises' own, so that the
    enterprises of a seed are the same whatever records are made for them."""
    return random.Random(f"xinrong-synth-records-{seed}")  # noqa: S311 (test data)


def dataset_files(directory: Path) -> list[Path]:
    """The category files of a dataset directory in loading order (registration first)."""
    order = {category: i for i, category in enumerate(CATEGORIES)}
    files = [p for p in directory.glob("*.jsonl") if p.stem in order]
    return sorted(files, key=lambda p: order[p.stem])


async def _chunks(path: Path) -> AsyncIterator[bytes]:
    with path.open("rb") as handle:
        while chunk := handle.read(READ_BYTES):
            yield chunk


async def _provider_ids(runtime: Runtime) -> dict[str, int]:
    """Category → id of the data provider that sends it."""
    async with runtime.sessionmaker() as session:
        providers = (
            await session.execute(select(DataProvider).order_by(DataProvider.id))
        ).scalars()
        senders: dict[str, int] = {}
        for provider in providers:
            for category in provider.categories or []:
                senders.setdefault(category, provider.id)
    return senders


def batch_id_for(path: Path) -> str:
    """``synth-<category>-<hash>``: the same file always gets the same batch id."""
    with path.open("rb") as handle:
        digest = hashlib.file_digest(handle, "sha256").hexdigest()[:16]
    return f"synth-{path.stem}-{digest}"


async def load_file(
    *,
    runtime: Runtime,
    path: Path,
    provider_id: int,
    batch_id: str | None = None,
    on_progress: Callable[[int], None] | None = None,
) -> LoadResult:
    """Load one category file through the bulk path as provider ``provider_id``."""
    batch_id = batch_id or batch_id_for(path)
    actor = Actor(
        role=Role.DATA_PROVIDER.value, data_provider_id=provider_id, request_id="cli-synth"
    )
    started = time.perf_counter()
    outcome = await ingest_stream(
        runtime=runtime,
        actor=actor,
        batch_id=batch_id,
        category=path.stem,
        body=_chunks(path),
        fmt="jsonl",
        on_progress=on_progress,
    )
    batch = outcome.batch
    return LoadResult(
        category=path.stem,
        batch_id=batch_id,
        status=batch.status,
        accepted=batch.accepted,
        rejected=batch.rejected,
        replayed=outcome.replayed,
        seconds=time.perf_counter() - started,
        row_errors=outcome.row_errors[:20],
    )


async def load_dataset(
    *,
    runtime: Runtime,
    directory: Path,
    on_loaded: Callable[[LoadResult], None] | None = None,
) -> list[LoadResult]:
    """Load every category file of ``directory``, registration first, one batch per file."""
    senders = await _provider_ids(runtime)
    results = []
    for path in dataset_files(directory):
        provider_id = senders.get(path.stem)
        if provider_id is None:
            raise DomainError(
                ErrorCode.NOT_FOUND,
                f"没有报送“{path.stem}”类信息的数据提供单位，请先运行 xinrong seed",
                field="category",
            )
        result = await load_file(runtime=runtime, path=path, provider_id=provider_id)
        if on_loaded:
            on_loaded(result)
        results.append(result)
    return results
