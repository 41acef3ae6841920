"""Real-name verification: bind an account to the enterprise whose registration record it proves."""

from __future__ import annotations

import unicodedata
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from backend.audit import service as audit
from backend.db.base import utcnow
from backend.enterprises.models import Enterprise
from backend.errors import DomainError, ErrorCode
from backend.identity.id_number import parse_id_number
from backend.identity.models import Account, Role
from backend.identity.uscc import parse_uscc
from backend.policies.incremental import tell_changed
from backend.runtime import Runtime
from backend.security import throttle
from backend.security.actor import Actor

VERIFY_BY_ACCOUNT = "verify_account"
VERIFY_BY_IP = "verify_ip"


def normalise_name(name: str) -> str:
    """Compare names the way people write them: NFKC (full-width brackets), no spaces."""
    return "".join(unicodedata.normalize("NFKC", name or "").split())


async def _check_throttle(session: AsyncSession, runtime: Runtime, actor: Actor) -> None:
    settings = runtime.settings
    window = timedelta(minutes=settings.verify_window_minutes)
    limits = [(VERIFY_BY_ACCOUNT, str(actor.account_id), settings.verify_attempts_per_account)]
    if actor.client_ip:
        limits.append((VERIFY_BY_IP, actor.client_ip, settings.verify_attempts_per_ip))
    for bucket, key, limit in limits:
        if await throttle.recent_count(session, bucket=bucket, key=key, window=window) >= limit:
            raise DomainError(ErrorCode.RATE_LIMITED, "核验尝试过于频繁，请一小时后再试")
    for bucket, key, _limit in limits:
        await throttle.add_event(session, bucket=bucket, key=key, window=window)


async def _fail(
    session: AsyncSession, runtime: Runtime, actor: Actor, error: DomainError, uscc: str
) -> DomainError:
    """Audit and commit a refused verification (the attempt counts), then hand back the error."""
    await audit.record(
        session,
        keyring=runtime.keyring,
        actor=actor,
        action="enterprise.verify",
        outcome="failure",
        subject_type="enterprise",
        subject_id=uscc,
        details={"code": error.code.value},
    )
    await session.commit()
    return error


async def verify_enterprise(
    *,
    session: AsyncSession,
    runtime: Runtime,
    actor: Actor,
    uscc: str,
    name: str,
    legal_rep_name: str,
    legal_rep_id_number: str,
) -> Enterprise:
    """Bind the signed-in enterprise account to its enterprise when all four facts match.

    Which of the facts differed is never told (``IDENTITY_MISMATCH``), and every attempt counts
    against the account's and the address's throttle.
    """
    if actor.role != Role.ENTERPRISE.value or actor.account_id is None:
        raise DomainError(ErrorCode.FORBIDDEN, "只有企业用户可以进行企业实名认证")
    code = parse_uscc(uscc, field="uscc").code
    id_number = parse_id_number(legal_rep_id_number, field="legalRepIdNumber").number
    account = await session.get(Account, actor.account_id)
    if account is None:
        raise DomainError(ErrorCode.FORBIDDEN, "账户不存在")
    if account.enterprise_id is not None:
        raise DomainError(ErrorCode.ALREADY_VERIFIED, "该账户已完成企业实名认证")
    await _check_throttle(session, runtime, actor)
    enterprise = (
        await session.execute(select(Enterprise).where(Enterprise.uscc == code))
    ).scalar_one_or_none()
    if enterprise is None:
        raise await _fail(
            session,
            runtime,
            actor,
            DomainError(
                ErrorCode.ENTERPRISE_NOT_FOUND,
                "登记注册信息中没有该统一社会信用代码，请核对，或待市场监管部门数据更新后再试",
                field="uscc",
            ),
            code,
        )
    matches = (
        normalise_name(name) == normalise_name(enterprise.name)
        and normalise_name(legal_rep_name) == normalise_name(enterprise.legal_rep_name)
        and enterprise.legal_rep_id_hash in runtime.keyring.lookup_hashes(id_number)
    )
    if not matches:
        raise await _fail(
            session,
            runtime,
            actor,
            DomainError(
                ErrorCode.IDENTITY_MISMATCH,
                "企业名称、法定代表人姓名或身份证号码与登记信息不一致",
            ),
            code,
        )
    claimed = (
        await session.execute(
            select(Account.id).where(Account.enterprise_id == enterprise.id).limit(1)
        )
    ).first()
    if claimed is not None:
        raise await _fail(
            session,
            runtime,
            actor,
            DomainError(
                ErrorCode.ALREADY_VERIFIED,
                "该企业已由其他账户完成实名认证；如有疑问请联系平台客服",
                field="uscc",
            ),
            code,
        )
    account.enterprise_id = enterprise.id
    account.verified_at = utcnow()
    await audit.record(
        session,
        keyring=runtime.keyring,
        actor=actor,
        action="enterprise.verify",
        subject_type="enterprise",
        subject_id=code,
        enterprise_id=enterprise.id,
    )
    # A newly verified firm is told of the live policies it qualifies for, if not already.
    await tell_changed(session, [enterprise.id])
    return enterprise
