"""``xinrong purge-sessions``: sign-in sessions that ended more than six months ago go, in audited
batches; active and recently ended ones stay; a retention under six months is refused."""

from __future__ import annotations

import hashlib
from datetime import timedelta
from typing import Any

from sqlalchemy import insert, select

from backend.audit.models import AuditEntry
from backend.db.base import utcnow
from backend.identity.models import Account, AuthSession
from tests.api.test_cli import on_database, xinrong

DAY = timedelta(days=1)


def _given_sessions(database_url: str) -> dict[str, int]:
    """One account with sessions in every state; name → session id."""
    now = utcnow()
    ages = {
        # name: (created, expires, revoked) relative to now
        "active": (-DAY, DAY, None),
        "expired_last_week": (-8 * DAY, -7 * DAY, None),
        "signed_out_last_month": (-30 * DAY, -29 * DAY, -30 * DAY),
        "expired_200_days_ago": (-201 * DAY, -200 * DAY, None),
        "signed_out_300_days_ago": (-300 * DAY, -299 * DAY, -300 * DAY),
        # a long-lived session signed out long ago: revocation ends it, whatever its expiry said
        "revoked_long_ago_expiry_far": (-400 * DAY, 30 * DAY, -250 * DAY),
    }

    async def work(connection: Any) -> dict[str, int]:
        account_id = (
            await connection.execute(
                insert(Account.__table__)
                .values(
                    phone="13812345678",
                    display_name="会话清理测试",
                    password_hash="x",
                    role="ENTERPRISE",
                    status="ACTIVE",
                    failed_login_count=0,
                    created_at=now,
                )
                .returning(Account.__table__.c.id)
            )
        ).scalar_one()
        ids = {}
        for name, (created, expires, revoked) in ages.items():
            ids[name] = (
                await connection.execute(
                    insert(AuthSession.__table__)
                    .values(
                        account_id=account_id,
                        token_hash=hashlib.sha256(name.encode()).hexdigest(),
                        created_at=now + created,
                        expires_at=now + expires,
                        revoked_at=None if revoked is None else now + revoked,
                        client_ip="203.0.113.9",
                        user_agent="pytest",
                    )
                    .returning(AuthSession.__table__.c.id)
                )
            ).scalar_one()
        return ids

    return on_database(database_url, work)


def _left(database_url: str) -> set[int]:
    async def work(connection: Any) -> set[int]:
        return set((await connection.execute(select(AuthSession.__table__.c.id))).scalars())

    return on_database(database_url, work)


def _purge_audit_rows(database_url: str) -> list[dict[str, Any]]:
    async def work(connection: Any) -> list[dict[str, Any]]:
        table = AuditEntry.__table__
        rows = await connection.execute(
            select(table.c.details, table.c.actor_role)
            .where(table.c.action == "auth.sessions.purged")
            .order_by(table.c.seq)
        )
        return [{"details": details, "actor_role": role} for details, role in rows]

    return on_database(database_url, work)


def test_purge_deletes_only_sessions_that_ended_over_six_months_ago_in_audited_batches(
    database_url,
):
    # given
    ids = _given_sessions(database_url)
    old = {"expired_200_days_ago", "signed_out_300_days_ago", "revoked_long_ago_expiry_far"}

    # when a dry run, then the purge two rows a batch
    dry = xinrong("purge-sessions", "--dry-run", database_url=database_url)
    left_after_dry_run = _left(database_url)
    result = xinrong("purge-sessions", "--batch-size", "2", database_url=database_url)

    # then the dry run counted and kept; the purge removed exactly the old ones
    assert dry.exit_code == 0, dry.output
    assert "would delete 3 sign-in sessions" in dry.stdout
    assert left_after_dry_run == set(ids.values())
    assert result.exit_code == 0, result.output
    assert "deleted 3 sign-in sessions" in result.stdout and "in 2 batches; 0 left" in result.stdout
    assert _left(database_url) == {ids[name] for name in ids if name not in old}
    # and each batch left its audit row, by the system, in a chain that still verifies
    audited = _purge_audit_rows(database_url)
    assert [row["details"]["deleted"] for row in audited] == [2, 1]
    assert {row["actor_role"] for row in audited} == {"SYSTEM"}
    assert {row["details"]["keep_days"] for row in audited} == {190}
    verify = xinrong("audit", "verify", database_url=database_url)
    assert verify.exit_code == 0, verify.output

    # when run again, then there is nothing left to do
    again = xinrong("purge-sessions", database_url=database_url)
    assert again.exit_code == 0, again.output
    assert "deleted 0 sign-in sessions" in again.stdout
    assert len(_purge_audit_rows(database_url)) == 2


def test_purge_refuses_to_keep_network_logs_under_six_months(database_url):
    # given
    ids = _given_sessions(database_url)

    # when
    result = xinrong("purge-sessions", "--keep-days", "30", database_url=database_url)

    # then refused, in Chinese, with nothing deleted or audited
    assert result.exit_code == 2
    unwrapped = "".join(result.stderr.split())  # rich wraps lines, even inside Chinese words
    assert "不少于六个月" in unwrapped and "183" in unwrapped
    assert _left(database_url) == set(ids.values())
    assert _purge_audit_rows(database_url) == []
