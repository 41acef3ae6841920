"""Settings from explicit environments: defaults, URL normalisation, what production refuses, the
development secret key file, and malformed values."""

from __future__ import annotations

import stat

import pytest

from backend.settings import DEFAULT_SQLITE_URL, SettingsError, load_settings

PG_URL = "postgresql+asyncpg://xinrong:pw@db.internal:5432/xinrong"
STRONG_KEY = "k" * 48
PRODUCTION = {
    "XINRONG_ENV": "production",
    "XINRONG_SECRET_KEY": STRONG_KEY,
    "XINRONG_DATABASE_URL": PG_URL,
}


def test_defaults_are_development_on_sqlite(tmp_path):
    # when
    settings = load_settings({}, workdir=tmp_path)

    # then
    assert settings.env == "development" and not settings.is_production
    assert settings.database_url == DEFAULT_SQLITE_URL == "sqlite+aiosqlite:///./xinrong.db"
    assert settings.is_sqlite
    assert settings.password_hash_profile == "standard"
    assert settings.previous_secret_keys == ()
    assert settings.session_ttl_minutes == 12 * 60
    assert settings.max_body_bytes == 1024 * 1024
    assert settings.log_level == "INFO"


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("postgres://u:p@h:5432/db", "postgresql+asyncpg://u:p@h:5432/db"),
        ("postgresql://u:p@h:5432/db", "postgresql+asyncpg://u:p@h:5432/db"),
        ("postgresql+psycopg2://u@h/db", "postgresql+asyncpg://u@h/db"),
        ("postgresql+psycopg://u@h/db", "postgresql+asyncpg://u@h/db"),
        (PG_URL, PG_URL),
        ("  postgresql://u@h/db \n", "postgresql+asyncpg://u@h/db"),
        ("sqlite:///data/x.db", "sqlite+aiosqlite:///data/x.db"),
        ("sqlite+aiosqlite:///data/x.db", "sqlite+aiosqlite:///data/x.db"),
    ],
)
def test_database_urls_get_the_async_driver(tmp_path, given, expected):
    # when
    settings = load_settings({"XINRONG_DATABASE_URL": given}, workdir=tmp_path)

    # then
    assert settings.database_url == expected


def test_a_complete_production_environment_is_accepted(tmp_path):
    # when
    settings = load_settings(
        {**PRODUCTION, "XINRONG_PREVIOUS_SECRET_KEYS": " old-one , ,old-two "}, workdir=tmp_path
    )

    # then
    assert settings.is_production and not settings.is_sqlite
    assert settings.secret_key == STRONG_KEY
    assert settings.previous_secret_keys == ("old-one", "old-two")
    assert not (tmp_path / ".xinrong").exists()


@pytest.mark.parametrize(
    ("overrides", "reason"),
    [
        ({"XINRONG_SECRET_KEY": ""}, "XINRONG_SECRET_KEY is required"),
        ({"XINRONG_SECRET_KEY": "   "}, "XINRONG_SECRET_KEY is required"),
        ({"XINRONG_SECRET_KEY": "k" * 31}, "at least 32 characters"),
        ({"XINRONG_DATABASE_URL": "sqlite+aiosqlite:///./prod.db"}, "must name PostgreSQL"),
        ({"XINRONG_DATABASE_URL": ""}, "must name PostgreSQL"),
        ({"XINRONG_PASSWORD_HASH_PROFILE": "fast"}, "fast password hash profile"),
    ],
)
def test_production_refuses_an_unsafe_environment(tmp_path, overrides, reason):
    # given
    environ = {**PRODUCTION, **overrides}

    # when / then
    with pytest.raises(SettingsError, match=reason):
        load_settings(environ, workdir=tmp_path)
    assert not (tmp_path / ".xinrong").exists()


def test_production_refuses_a_missing_secret_key(tmp_path):
    # given
    environ = {k: v for k, v in PRODUCTION.items() if k != "XINRONG_SECRET_KEY"}

    # when / then
    with pytest.raises(SettingsError, match="XINRONG_SECRET_KEY is required"):
        load_settings(environ, workdir=tmp_path)


def test_development_generates_a_private_secret_key_and_reuses_it(tmp_path):
    # when
    first = load_settings({"XINRONG_ENV": "development"}, workdir=tmp_path)
    second = load_settings({"XINRONG_ENV": "development"}, workdir=tmp_path)

    # then
    key_file = tmp_path / ".xinrong" / "secret_key"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert key_file.read_text(encoding="utf-8").strip() == first.secret_key
    assert len(first.secret_key) >= 32
    assert second.secret_key == first.secret_key


def test_development_keys_differ_between_working_directories(tmp_path):
    # when
    one = load_settings({}, workdir=tmp_path / "one")
    two = load_settings({}, workdir=tmp_path / "two")

    # then
    assert one.secret_key != two.secret_key


def test_a_given_secret_key_is_used_and_no_key_file_written(tmp_path):
    # when
    settings = load_settings({"XINRONG_SECRET_KEY": "  given-key  "}, workdir=tmp_path)

    # then
    assert settings.secret_key == "given-key"
    assert not (tmp_path / ".xinrong").exists()


@pytest.mark.parametrize(
    "name",
    [
        "XINRONG_SESSION_TTL_MINUTES",
        "XINRONG_MAX_BODY_BYTES",
        "XINRONG_DB_POOL_SIZE",
        "XINRONG_DB_MAX_OVERFLOW",
        "XINRONG_DB_COMMAND_TIMEOUT",
        "XINRONG_DB_CONNECT_TIMEOUT",
    ],
)
@pytest.mark.parametrize("value", ["abc", "1.5", "0", "-5", "ten"])
def test_bad_whole_numbers_are_refused(tmp_path, name, value):
    # when / then
    with pytest.raises(SettingsError, match=name):
        load_settings({name: value}, workdir=tmp_path)


def test_whole_numbers_are_read_and_empty_means_default(tmp_path):
    # when
    settings = load_settings(
        {"XINRONG_SESSION_TTL_MINUTES": "30", "XINRONG_MAX_BODY_BYTES": ""}, workdir=tmp_path
    )

    # then
    assert settings.session_ttl_minutes == 30
    assert settings.max_body_bytes == 1024 * 1024


def test_the_pool_sizes_reach_the_engine(tmp_path):
    # given
    from backend.db.engine import create_engine

    env = {**PRODUCTION, "XINRONG_DB_POOL_SIZE": "7", "XINRONG_DB_MAX_OVERFLOW": "3"}
    # when
    pool = create_engine(load_settings(env, workdir=tmp_path)).pool
    default_pool = create_engine(load_settings(PRODUCTION, workdir=tmp_path)).pool
    # then
    assert (pool.size(), pool._max_overflow) == (7, 3)  # type: ignore[attr-defined]
    assert (default_pool.size(), default_pool._max_overflow) == (20, 10)  # type: ignore[attr-defined]


@pytest.mark.parametrize("env", ["staging", "prod", "PRODUCTION", "dev"])
def test_an_unknown_environment_name_is_refused(tmp_path, env):
    # when / then
    with pytest.raises(SettingsError, match="XINRONG_ENV"):
        load_settings({"XINRONG_ENV": env}, workdir=tmp_path)


def test_an_unknown_password_hash_profile_is_refused(tmp_path):
    # when / then
    with pytest.raises(SettingsError, match="XINRONG_PASSWORD_HASH_PROFILE"):
        load_settings({"XINRONG_PASSWORD_HASH_PROFILE": "weak"}, workdir=tmp_path)
