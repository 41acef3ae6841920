"""Settings read from the environment, in one place.

Every setting is an ``XINRONG_*`` environment variable; tests set the environment before they
build an app. In development the secret key is generated once and kept in ``.xinrong/secret_key``
under the working directory; production refuses to start without one.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

DEFAULT_SQLITE_URL = "sqlite+aiosqlite:///./xinrong.db"
_LOCAL_DIR = ".xinrong"


class SettingsError(RuntimeError):
    """The environment does not describe a configuration the platform may start with."""


@dataclass(frozen=True)
class Settings:
    """The platform's configuration; build it with :func:`load_settings`."""

    database_url: str = DEFAULT_SQLITE_URL
    env: str = "development"
    secret_key: str = ""
    previous_secret_keys: tuple[str, ...] = ()
    session_ttl_minutes: int = 12 * 60
    password_hash_profile: str = "standard"  # noqa: S105 (a profile name)
    max_body_bytes: int = 1024 * 1024
    # Database connections each process keeps open, and how many more it may open at a peak
    # (PostgreSQL; a GraphQL request holds one for its duration).
    db_pool_size: int = 20
    db_max_overflow: int = 10
    # Seconds before a statement with no answer, or a connection attempt, is given up
    # (PostgreSQL): a network partition then fails requests instead of hanging them.
    db_command_timeout_s: int = 60
    db_connect_timeout_s: int = 10
    max_ingest_bytes: int = 8 * 1024**3
    graphql_max_depth: int = 10
    graphql_max_aliases: int = 15
    graphql_max_tokens: int = 2000
    login_max_failures: int = 5
    login_lock_minutes: int = 15
    login_attempts_per_ip: int = 30
    login_ip_window_minutes: int = 15
    verify_attempts_per_account: int = 5
    verify_attempts_per_ip: int = 20
    verify_window_minutes: int = 60
    trusted_proxies: tuple[str, ...] = ()
    log_level: str = "INFO"
    # Where the public pages (the credit code's /c/…) are reached from outside, e.g.
    # "https://xinrong.example.cn"; None: the base URL of the request that asks for the link.
    public_base_url: str | None = None

    @property
    def is_production(self) -> bool:
        """True when running as a real deployment (no demo data, no introspection, no IDE)."""
        return self.env == "production"

    @property
    def is_sqlite(self) -> bool:
        """True when the database is the embedded SQLite file."""
        return self.database_url.startswith("sqlite")


def normalise_database_url(url: str) -> str:
    """Return ``url`` with the async driver SQLAlchemy needs (asyncpg, aiosqlite)."""
    url = url.strip()
    for prefix in (
        "postgres://",
        "postgresql://",
        "postgresql+psycopg2://",
        "postgresql+psycopg://",
    ):
        if url.startswith(prefix):
            return "postgresql+asyncpg://" + url[len(prefix) :]
    if url.startswith("sqlite://") and not url.startswith("sqlite+aiosqlite://"):
        return "sqlite+aiosqlite://" + url[len("sqlite://") :]
    return url


def _local_secret_key(workdir: Path) -> str:
    """Read the development secret key from ``.xinrong/secret_key``, creating it on first use."""
    path = workdir / _LOCAL_DIR / "secret_key"
    if path.exists():
        return path.read_text(encoding="utf-8").strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    # Written with owner-only permissions: the key decrypts ID numbers at rest.
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(key + "\n")
    return key


def _int(environ: dict[str, str], name: str, default: int) -> int:
    raw = environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError as exc:
        raise SettingsError(f"{name} must be a whole number, got {raw!r}") from exc
    if value <= 0:
        raise SettingsError(f"{name} must be positive, got {value}")
    return value


def _list(raw: str | None) -> tuple[str, ...]:
    return tuple(item.strip() for item in (raw or "").split(",") if item.strip())


def _base_url(raw: str | None) -> str | None:
    """An absolute http(s) base URL without a trailing slash, or None when unset."""
    value = (raw or "").strip().rstrip("/")
    if not value:
        return None
    parsed = urlsplit(value)
    if (
        parsed.scheme not in {"http", "https"}
        or not parsed.netloc
        or parsed.query
        or parsed.fragment
    ):
        raise SettingsError(
            f"XINRONG_PUBLIC_BASE_URL must be an http(s) address like https://host, got {raw!r}"
        )
    return value


def load_settings(
    environ: dict[str, str] | None = None, *, workdir: Path | None = None
) -> Settings:
    """Build settings from ``environ`` (default: the process environment) and check them."""
    env_vars = dict(os.environ if environ is None else environ)
    workdir = workdir or Path.cwd()
    env = env_vars.get("XINRONG_ENV", "development").strip() or "development"
    if env not in {"development", "production", "test"}:
        raise SettingsError(f"XINRONG_ENV must be development, test or production, got {env!r}")
    database_url = normalise_database_url(
        env_vars.get("XINRONG_DATABASE_URL") or DEFAULT_SQLITE_URL
    )
    secret_key = env_vars.get("XINRONG_SECRET_KEY", "").strip()
    profile = env_vars.get("XINRONG_PASSWORD_HASH_PROFILE", "standard").strip() or "standard"
    if profile not in {"standard", "fast"}:
        raise SettingsError("XINRONG_PASSWORD_HASH_PROFILE must be standard or fast")

    if env == "production":
        if not secret_key:
            raise SettingsError("XINRONG_SECRET_KEY is required when XINRONG_ENV=production")
        if len(secret_key) < 32:
            raise SettingsError("XINRONG_SECRET_KEY must be at least 32 characters")
        if not database_url.startswith("postgresql"):
            raise SettingsError("XINRONG_DATABASE_URL must name PostgreSQL in production")
        if profile != "standard":
            raise SettingsError("the fast password hash profile is for tests only")
    elif not secret_key:
        secret_key = _local_secret_key(workdir)

    return Settings(
        database_url=database_url,
        env=env,
        secret_key=secret_key,
        previous_secret_keys=_list(env_vars.get("XINRONG_PREVIOUS_SECRET_KEYS")),
        session_ttl_minutes=_int(env_vars, "XINRONG_SESSION_TTL_MINUTES", 12 * 60),
        password_hash_profile=profile,
        max_body_bytes=_int(env_vars, "XINRONG_MAX_BODY_BYTES", 1024 * 1024),
        max_ingest_bytes=_int(env_vars, "XINRONG_MAX_INGEST_BYTES", 8 * 1024**3),
        db_pool_size=_int(env_vars, "XINRONG_DB_POOL_SIZE", 20),
        db_max_overflow=_int(env_vars, "XINRONG_DB_MAX_OVERFLOW", 10),
        db_command_timeout_s=_int(env_vars, "XINRONG_DB_COMMAND_TIMEOUT", 60),
        db_connect_timeout_s=_int(env_vars, "XINRONG_DB_CONNECT_TIMEOUT", 10),
        trusted_proxies=_list(env_vars.get("XINRONG_TRUSTED_PROXIES")),
        log_level=env_vars.get("XINRONG_LOG_LEVEL", "INFO").upper(),
        public_base_url=_base_url(env_vars.get("XINRONG_PUBLIC_BASE_URL")),
    )
