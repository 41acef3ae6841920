"""Fixtures of the fault tests: PostgreSQL only, on a cluster of their own (module docstrings
and docs/faults.md say what each test proves)."""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from backend.runtime import Runtime
from backend.settings import load_settings
from tests.support import databases
from tests.support.faults import (
    create_database,
    ensure_running,
    make_demo_template,
    sqlalchemy_url,
    start_fault_cluster,
)
from tests.support.postgres import Cluster


@pytest.fixture(scope="session")
def fault_cluster() -> Iterator[Cluster]:
    """A PostgreSQL cluster only the fault tests use (they stop and restart it); removed at the
    end of the session."""
    cluster = start_fault_cluster()
    yield cluster
    cluster.stop()


@pytest.fixture(scope="session")
def fault_demo_template(fault_cluster: Cluster) -> str:
    """A database with the seed and demo data on the fault cluster, copied for each test."""
    return asyncio.run(make_demo_template(fault_cluster.url))


@pytest.fixture
def fault_database_url(fault_cluster: Cluster, fault_demo_template: str) -> Iterator[str]:
    """A fresh copy of the demo database on the fault cluster (running), dropped afterwards."""
    ensure_running(fault_cluster)
    name = create_database(fault_cluster.url, fault_demo_template)
    yield sqlalchemy_url(fault_cluster.url, name)
    ensure_running(fault_cluster)
    databases.drop_pg_database(fault_cluster.url, name)


@pytest.fixture
async def fault_runtime(fault_database_url: str, tmp_path: Path) -> AsyncIterator[Runtime]:
    """The runtime (engine, keys) of the app under test, on the fault database."""
    settings = load_settings(
        {**os.environ, "XINRONG_DATABASE_URL": fault_database_url}, workdir=tmp_path
    )
    runtime = Runtime.build(settings)
    yield runtime
    await runtime.close()
