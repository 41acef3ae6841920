"""Everything a process builds once from its settings: engine, sessions, keys, hasher."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from backend.db.engine import create_engine, create_sessionmaker
from backend.security.keyring import KeyRing
from backend.security.passwords import Passwords
from backend.settings import Settings


@dataclass
class Runtime:
    """The long-lived objects of one app or command-line process."""

    settings: Settings
    engine: AsyncEngine
    sessionmaker: async_sessionmaker[AsyncSession]
    keyring: KeyRing
    passwords: Passwords

    @classmethod
    def build(cls, settings: Settings) -> Runtime:
        """Create the runtime for ``settings`` (the engine connects lazily)."""
        engine = create_engine(settings)
        return cls(
            settings=settings,
            engine=engine,
            sessionmaker=create_sessionmaker(engine),
            keyring=KeyRing(settings.secret_key, settings.previous_secret_keys),
            passwords=Passwords(settings.password_hash_profile),
        )

    async def close(self) -> None:
        """Release the database connections."""
        await self.engine.dispose()
