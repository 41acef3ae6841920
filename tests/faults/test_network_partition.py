"""A network partition between the app and PostgreSQL: no reset, no error, just silence. Requests
must fail with SERVICE_UNAVAILABLE within the statement timeout instead of hanging for as long as
the partition lasts, /healthz must say 503, and once the network heals the SAME app serves again
(the connections that lived through the partition are replaced)."""

from __future__ import annotations

import asyncio
import os
import time
from pathlib import Path

from sqlalchemy.engine import make_url

from backend.runtime import Runtime
from backend.settings import load_settings
from tests.support.builders import BANK_PHONE, login
from tests.support.faults import app_client
from tests.support.partition import PartitionProxy

ME_AND_INSTITUTIONS = "{ me { role } institutions { name } }"
TIMEOUT_S = 2  # the statement and connection timeouts the app runs with here
HANG_S = 30  # what "it hung" means: far beyond both timeouts and a retry


async def test_a_partition_fails_requests_in_time_and_the_app_recovers_after(
    fault_database_url: str, tmp_path: Path
) -> None:
    # given the app talking to PostgreSQL through a network that can go silent
    url = make_url(fault_database_url)
    proxy = PartitionProxy(url.host or "127.0.0.1", url.port or 5432)
    port = await proxy.start()
    env = {
        **os.environ,
        "XINRONG_DATABASE_URL": url.set(port=port).render_as_string(hide_password=False),
        "XINRONG_DB_COMMAND_TIMEOUT": str(TIMEOUT_S),
        "XINRONG_DB_CONNECT_TIMEOUT": str(TIMEOUT_S),
    }
    runtime = Runtime.build(load_settings(env, workdir=tmp_path))
    try:
        async with app_client(runtime) as (http, client):
            token = await login(client, BANK_PHONE)
            before = await client.execute(ME_AND_INSTITUTIONS, token=token)
            assert before.errors == [], before.errors

            # when the network goes silent
            proxy.freeze()
            started = time.monotonic()
            during = await asyncio.wait_for(
                client.execute(ME_AND_INSTITUTIONS, token=token), HANG_S
            )
            waited = time.monotonic() - started
            health = await asyncio.wait_for(http.get("/healthz"), HANG_S)

            # then the request fails, coded, within a few timeouts, and health says so
            assert "SERVICE_UNAVAILABLE" in during.error_codes(), during.errors
            assert waited < 5 * TIMEOUT_S, waited
            assert health.status_code == 503

            # when the network heals, the same app serves again
            proxy.heal()
            after = await client.execute(ME_AND_INSTITUTIONS, token=token)
            assert after.errors == [], after.errors
            assert (await http.get("/healthz")).status_code == 200
    finally:
        await runtime.close()
        await proxy.close()
