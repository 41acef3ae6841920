"""argon2id password hashing, run off the event loop."""

from __future__ import annotations

import asyncio

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

# "standard" is argon2-cffi's default, RFC 9106's low-memory profile (argon2id, 64 MiB, t=3).
# "fast" exists so that the test suite can sign in hundreds of times; production refuses it.
_PROFILES = {
    "standard": PasswordHasher(),
    "fast": PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1),
}


class Passwords:
    """Hashes and checks passwords with the configured argon2id profile."""

    def __init__(self, profile: str = "standard") -> None:
        self._hasher = _PROFILES[profile]
        # A real hash to verify against when the account does not exist, so that an unknown
        # phone number takes as long to refuse as a wrong password.
        self._dummy_hash = self._hasher.hash("xinrong-timing-equaliser")

    async def hash(self, password: str) -> str:
        """Return the argon2id hash of ``password``."""
        return await asyncio.to_thread(self._hasher.hash, password)

    async def verify(self, password_hash: str | None, password: str) -> bool:
        """True when ``password`` matches; a missing hash burns the same time and says False."""
        target = password_hash or self._dummy_hash
        try:
            ok = await asyncio.to_thread(self._hasher.verify, target, password)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False
        return bool(ok) and password_hash is not None

    def needs_rehash(self, password_hash: str) -> bool:
        """True when the stored hash was made with weaker parameters than the current profile."""
        return self._hasher.check_needs_rehash(password_hash)
