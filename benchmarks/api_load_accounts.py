"""Enterprise accounts for ``benchmarks.api_load``: one per client, each verified to its own firm.

The firms are those of the loaded population that hold full records (the subset loaded through
the bulk path, see the module docstring of ``benchmarks.api_load``), spread evenly over them.
Accounts are made the way the platform makes them: ``register_account`` (argon2 password hash,
audit row) and ``verify_enterprise`` (the four facts checked against the registration record,
audit row, policy inbox). The legal representative's ID number, which verification needs, is
decrypted from the enterprise row with the database's key: the benchmark plays a firm that knows
its own ID number. Accounts are kept and reused by later runs (phones ``19900NNNNNN``).

Sessions are opened as sign-in opens them (a random token; its SHA-256 stored in
``auth_sessions``), without going through ``login`` and its per-address throttle: 50 sign-ins
from one address in a few seconds would, rightly, be throttled.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from backend.credit.models import CreditRecord
from backend.credit.registration import ID_NUMBER_CONTEXT
from backend.db.base import utcnow
from backend.enterprises.models import Enterprise
from backend.enterprises.verification import verify_enterprise
from backend.identity.models import Account, AuthSession
from backend.identity.service import actor_for, register_account
from backend.runtime import Runtime
from backend.security.actor import Actor
from backend.security.tokens import hash_token, new_token

PHONE_PREFIX = "19900"
PASSWORD = "Bench#2026-load"  # noqa: S105 (benchmark accounts on a benchmark database)
#: A firm is "with records" when it holds at least this many visible records beyond registration.
MIN_RECORDS = 10


@dataclass(frozen=True)
class BenchClient:
    """A signed-in enterprise account: its bearer token and the firm it is verified to."""

    phone: str
    token: str
    enterprise_id: int
    uscc: str
    records: int


def phone_of(index: int) -> str:
    """The phone number of benchmark account ``index`` (0-based)."""
    return f"{PHONE_PREFIX}{index:06d}"


async def unclaimed_firms_with_records(session: AsyncSession, count: int) -> list[int]:
    """``count`` firms with full records that no account is verified to yet, spread evenly over
    all such firms."""
    if count == 0:
        return []
    claimed = select(Account.id).where(Account.enterprise_id == CreditRecord.enterprise_id)
    rows = (
        await session.execute(
            select(CreditRecord.enterprise_id)
            .where(
                CreditRecord.category != "registration",
                CreditRecord.is_current.is_(True),
                ~claimed.exists(),
            )
            .group_by(CreditRecord.enterprise_id)
            .having(func.count() >= MIN_RECORDS)
            .order_by(CreditRecord.enterprise_id)
        )
    ).all()
    if len(rows) < count:
        raise SystemExit(
            f"only {len(rows)} unclaimed firms hold records ({MIN_RECORDS}+ each); the benchmark "
            f"needs {count} more: load more with `xinrong synth --enterprises N` "
            "(see benchmarks/api_load.py)"
        )
    step = len(rows) / count
    return [int(rows[int(i * step)][0]) for i in range(count)]


async def _verified_account(runtime: Runtime, index: int, enterprise_id: int) -> Account:
    """Benchmark account ``index``, registered and verified to ``enterprise_id`` if it is new."""
    phone = phone_of(index)
    async with runtime.sessionmaker() as session:
        account = (
            await session.execute(select(Account).where(Account.phone == phone))
        ).scalar_one_or_none()
        setup = Actor.anonymous(request_id="benchmark-setup")
        registration_token = None
        if account is None:
            signed = await register_account(
                session=session,
                runtime=runtime,
                actor=setup,
                phone=phone,
                password=PASSWORD,
                display_name=f"压测企业用户{index}",
            )
            account, registration_token = signed.account, signed.token
        enterprise = await session.get_one(Enterprise, enterprise_id)
        id_number = runtime.keyring.decrypt(
            enterprise.legal_rep_id_cipher, context=ID_NUMBER_CONTEXT
        )
        await verify_enterprise(
            session=session,
            runtime=runtime,
            actor=actor_for(account, client_ip=None, request_id="benchmark-setup"),
            uscc=enterprise.uscc,
            name=enterprise.name,
            legal_rep_name=enterprise.legal_rep_name,
            legal_rep_id_number=id_number,
        )
        await session.commit()
        if registration_token is not None:  # sign-up signs in; the benchmark opens its own
            await session.execute(
                update(AuthSession)
                .where(AuthSession.token_hash == hash_token(registration_token))
                .values(revoked_at=utcnow())
            )
            await session.commit()
        return account


async def open_session(runtime: Runtime, account_id: int, hours: int = 12) -> str:
    """A new session for ``account_id``, as sign-in opens one; returns its bearer token."""
    token, token_hash = new_token()
    async with runtime.sessionmaker() as session:
        session.add(
            AuthSession(
                account_id=account_id,
                token_hash=token_hash,
                expires_at=utcnow() + timedelta(hours=hours),
                user_agent="benchmarks.api_load",
            )
        )
        await session.commit()
    return token


async def _visible_records(session: AsyncSession, enterprise_id: int) -> int:
    return int(
        (
            await session.execute(
                select(func.count())
                .select_from(CreditRecord)
                .where(
                    CreditRecord.enterprise_id == enterprise_id,
                    CreditRecord.is_current.is_(True),
                )
            )
        ).scalar_one()
    )


async def prepare_clients(runtime: Runtime, count: int) -> list[BenchClient]:
    """``count`` signed-in enterprise accounts, each verified to its own firm with records:
    the kept ones of earlier runs, and new ones for unclaimed firms when there are too few."""
    phones = [phone_of(index) for index in range(count)]
    async with runtime.sessionmaker() as session:
        kept = {
            account.phone: account
            for account in (
                await session.execute(
                    select(Account).where(
                        Account.phone.in_(phones), Account.enterprise_id.is_not(None)
                    )
                )
            ).scalars()
        }
        new_firms = await unclaimed_firms_with_records(session, count - len(kept))
    clients = []
    for index, phone in enumerate(phones):
        account = kept.get(phone) or await _verified_account(runtime, index, new_firms.pop())
        assert account.enterprise_id is not None
        async with runtime.sessionmaker() as session:
            firm = await session.get_one(Enterprise, account.enterprise_id)
            records = await _visible_records(session, firm.id)
        token = await open_session(runtime, account.id)
        clients.append(BenchClient(account.phone, token, firm.id, firm.uscc, records))
    return clients


async def revoke_sessions(runtime: Runtime, clients: list[BenchClient]) -> None:
    """Revoke the sessions ``prepare_clients`` opened (at the end of a run)."""
    async with runtime.sessionmaker() as session:
        await session.execute(
            update(AuthSession)
            .where(AuthSession.token_hash.in_([hash_token(c.token) for c in clients]))
            .values(revoked_at=utcnow())
        )
        await session.commit()
