"""Everything a process builds once from its settings: engine, sessions, keys, hasher."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

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
    # One connector (and so one circuit breaker) per provider and interface setting, per process.
    connectors: dict[tuple[int, str], Any] = field(default_factory=dict)

    def connector_for(self, provider_id: int, interface: dict[str, Any]) -> Any:
        """The HTTP connector of a provider's interface setting, made once per process."""
        from backend.credit.connectors.http import HttpConnector

        key = (provider_id, repr(sorted(interface.items())))
        if key not in self.connectors:
            self.connectors[key] = HttpConnector(
                interface["base_url"],
                timeout_s=float(interface.get("timeout_s", 3.0)),
                retries=int(interface.get("retries", 2)),
                backoff_s=float(interface.get("backoff_s", 0.2)),
            )
        return self.connectors[key]

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
