"""The ``xinrong`` command: serve, migrate, seed, audit verify/export, create-staff and more."""

from __future__ import annotations

import asyncio
import getpass
import os
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import typer
from rich.console import Console

from backend.errors import ErrorCode
from backend.settings import Settings, SettingsError, load_settings

app = typer.Typer(help="信融 Xinrong — financing credit service platform", no_args_is_help=True)
audit_app = typer.Typer(help="The audit log.", no_args_is_help=True)
app.add_typer(audit_app, name="audit")
sharing_app = typer.Typer(help="The sharing list (信用信息共享清单).", no_args_is_help=True)
app.add_typer(sharing_app, name="sharing-list")
console = Console(stderr=True)


def _settings(database_url: str | None = None) -> Settings:
    environ = dict(os.environ)
    if database_url:
        environ["XINRONG_DATABASE_URL"] = database_url
    try:
        return load_settings(environ)
    except SettingsError as exc:
        console.print(f"[red]配置错误 / configuration error:[/red] {exc}")
        raise typer.Exit(2) from exc


async def _migrate_and_seed(settings: Settings, *, demo: bool, do_seed: bool) -> None:
    from backend.db.migrate import migrate
    from backend.runtime import Runtime
    from backend.seed import seed

    runtime = Runtime.build(settings)
    try:
        await migrate(runtime.engine)
        if do_seed:
            report = await seed(runtime, demo=demo)
            console.print(
                f"seed: {report.providers} providers, {report.institutions} institutions, "
                f"{report.products} products, {report.policies} policies, "
                f"{report.accounts} accounts, "
                f"batches {report.record_batches or '-'}"
            )
    finally:
        await runtime.close()


def _fresh_metrics_dir() -> str:
    """An empty directory for the workers' metric files: ``PROMETHEUS_MULTIPROC_DIR`` when set
    (emptied: counts from an earlier run must not add up), else a new temporary one."""
    import tempfile

    given = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if not given:
        return tempfile.mkdtemp(prefix="xinrong-metrics-")
    folder = Path(given)
    folder.mkdir(parents=True, exist_ok=True)
    for stale in folder.glob("*.db"):
        stale.unlink()
    return str(folder)


@app.command()
def serve(
    host: str = typer.Option("127.0.0.1", help="Address to listen on."),
    port: int = typer.Option(8000, help="Port to listen on."),
    database_url: str = typer.Option(None, help="Overrides XINRONG_DATABASE_URL."),
    no_demo: bool = typer.Option(False, "--no-demo", help="Do not load the demo data."),
    workers: int = typer.Option(
        1, min=1, max=64, help="Worker processes (more than one needs PostgreSQL)."
    ),
    graceful_timeout: int = typer.Option(
        30,
        min=1,
        help="On SIGTERM or Ctrl-C: seconds for requests in flight to finish (new connections "
        "are refused at once); then they are cancelled and the process exits 0.",
    ),
    no_setup: bool = typer.Option(
        False,
        "--no-setup",
        help="Serve only: neither migrate nor seed (several hosts: run `xinrong migrate` and "
        "`xinrong seed` once per release instead of on every start).",
    ),
) -> None:
    """Migrate, seed (demo data in development), and serve the API and web page."""
    from backend.app import create_app
    from backend.serving import serve_app

    settings = _settings(database_url)
    if workers > 1 and settings.is_sqlite:
        console.print("[red]--workers above 1 needs PostgreSQL (SQLite has one writer)[/red]")
        raise typer.Exit(2)
    demo = not no_demo and not settings.is_production
    if not no_setup:
        asyncio.run(_migrate_and_seed(settings, demo=demo, do_seed=True))
    console.print(
        f"信融 serving at http://{host}:{port}/  (database: {settings.database_url}, "
        f"workers: {workers})"
    )
    options: dict[str, Any] = {"host": host, "port": port, "log_config": None}
    options["proxy_headers"] = False
    if workers == 1:
        serve_app(create_app(settings), workers=1, graceful_timeout=graceful_timeout, **options)
        return
    # Each worker process builds its own app (and engine) from the environment, and writes its
    # metrics where any worker's /metrics adds them all up.
    os.environ["XINRONG_DATABASE_URL"] = settings.database_url
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = _fresh_metrics_dir()
    serve_app(
        "backend.app:create_app_from_environment",
        factory=True,
        workers=workers,
        graceful_timeout=graceful_timeout,
        **options,
    )


@app.command()
def migrate(database_url: str = typer.Option(None, help="Overrides XINRONG_DATABASE_URL.")) -> None:
    """Bring the database schema to the newest revision."""
    settings = _settings(database_url)
    asyncio.run(_migrate_and_seed(settings, demo=False, do_seed=False))
    console.print("migrated to head")


@app.command()
def seed(
    demo: bool = typer.Option(False, "--demo", help="Also load the demo accounts and records."),
    database_url: str = typer.Option(None, help="Overrides XINRONG_DATABASE_URL."),
) -> None:
    """Load the seed files (idempotent); ``--demo`` adds the demo data (never in production)."""
    settings = _settings(database_url)
    if demo and settings.is_production:
        console.print("[red]demo data is never loaded in production[/red]")
        raise typer.Exit(2)
    asyncio.run(_migrate_and_seed(settings, demo=demo, do_seed=True))


@audit_app.command("verify")
def audit_verify(
    database_url: str = typer.Option(None, help="Overrides XINRONG_DATABASE_URL."),
) -> None:
    """Exit 0 when the audit chain is intact; otherwise name the first bad row and exit 1."""
    from backend.audit.service import verify_chain
    from backend.runtime import Runtime

    settings = _settings(database_url)

    async def run() -> object:
        runtime = Runtime.build(settings)
        try:
            async with runtime.sessionmaker() as session:
                return await verify_chain(session, keyring=runtime.keyring)
        finally:
            await runtime.close()

    report = asyncio.run(run())
    if report.ok:  # type: ignore[attr-defined]
        # Keep the head hash somewhere the database's administrators cannot write (anchoring):
        # it is what shows that no one rewound the whole chain to an earlier state.
        typer.echo(
            f"audit chain intact: {report.rows_checked} rows, "  # type: ignore[attr-defined]
            f"head {report.head_hash}"  # type: ignore[attr-defined]
        )
        return
    typer.echo(
        f"AUDIT CHAIN BROKEN at seq {report.bad_seq} (row id {report.bad_id}): "  # type: ignore[attr-defined]
        f"{report.problem}; {report.rows_checked} rows before it are intact",  # type: ignore[attr-defined]
        err=True,
    )
    raise typer.Exit(1)


@audit_app.command("export")
def audit_export(
    day_from: str = typer.Option(..., "--from", help="First day, YYYY-MM-DD (China time)."),
    day_to: str = typer.Option(..., "--to", help="Day after the last, YYYY-MM-DD (exclusive)."),
    output: str = typer.Option(..., help="JSON Lines file to write, or - for standard output."),
    database_url: str = typer.Option(None, help="Overrides XINRONG_DATABASE_URL."),
) -> None:
    """Export the audit rows of a date range for a regulator: JSON Lines, manifest last.

    Recorded in the audit log as ``audit.export``. Exits 1 when the exported rows do not link
    or their MACs do not verify (the file is still written, for investigation).
    """
    from backend.audit.export import day_range, start_export, stream_plan, write_jsonl
    from backend.errors import DomainError
    from backend.runtime import Runtime
    from backend.security.actor import Actor

    settings = _settings(database_url)
    try:
        occurred_from, occurred_to = day_range(day_from, day_to)
    except DomainError as exc:
        console.print(f"[red]{exc.code.value}[/red] (--{exc.field}): {exc.message}")
        raise typer.Exit(2) from exc
    to_stdout = output == "-"
    try:
        handle = sys.stdout if to_stdout else open(output, "w", encoding="utf-8")  # noqa: SIM115
    except OSError as exc:
        console.print(f"[red]cannot write {output}: {exc}[/red]")
        raise typer.Exit(2) from exc

    async def run() -> dict[str, Any]:
        runtime = Runtime.build(settings)
        try:
            async with runtime.sessionmaker() as session:
                plan = await start_export(
                    session=session,
                    runtime=runtime,
                    actor=Actor.system(request_id="cli-audit-export"),
                    occurred_from=occurred_from,
                    occurred_to=occurred_to,
                    destination="stdout" if to_stdout else Path(output).name,
                )
                await session.commit()
            async with runtime.sessionmaker() as session:
                return await write_jsonl(
                    stream_plan(session, keyring=runtime.keyring, plan=plan), handle
                )
        finally:
            await runtime.close()

    try:
        manifest = asyncio.run(run())
    finally:
        if not to_stdout:
            handle.close()
    seqs = f"seq {manifest['first_seq']}–{manifest['last_seq']}" if manifest["rows"] else "no rows"
    summary = (
        f"exported {manifest['rows']} audit rows ({seqs}) to {output}: "
        f"linked {'yes' if manifest['linked'] else 'NO'}, "
        f"MACs {'ok' if manifest['macs_ok'] else 'BAD'}, "
        f"head seq {manifest['head_seq']} {manifest['head_hash']}"
    )
    # With the rows on standard output, the summary goes to standard error.
    typer.echo(summary, err=to_stdout)
    if not (manifest["linked"] and manifest["macs_ok"]):
        typer.echo(f"first bad row: seq {manifest['first_bad_seq']}", err=True)
        raise typer.Exit(1)


@sharing_app.command("check")
def sharing_list_check(
    path: Path = typer.Argument(None, help="The file to check (default: the one the app loads)."),
) -> None:
    """Check the sharing-list file and the data providers against it; print what it holds."""
    import json

    from rich.table import Table

    from backend.credit.sharing_list import DEFAULT_PATH, SharingListError, parse_sharing_list
    from backend.seed import SEED_DIR

    target = path or DEFAULT_PATH
    try:
        shared = parse_sharing_list(json.loads(target.read_text(encoding="utf-8")))
    except (OSError, ValueError, KeyError, SharingListError) as exc:
        console.print(f"[red]{target}: {exc}[/red]")
        raise typer.Exit(1) from exc
    providers = json.loads((SEED_DIR / "data_providers.json").read_text(encoding="utf-8"))
    senders = {c: p["code"] for p in providers["providers"] for c in p["categories"]}
    unknown = sorted(set(senders) - set(shared.categories))
    table = Table(title=f"{target.name} version {shared.version}")
    for column in ("code", "label", "disclosure", "natural key", "fields", "personal", "provider"):
        table.add_column(column)
    for spec in shared.categories.values():
        table.add_row(
            spec.code,
            spec.label,
            spec.disclosure,
            ",".join(spec.natural_key),
            str(len(spec.fields)),
            ",".join(f.name for f in spec.fields if f.personal) or "-",
            senders.get(spec.code, "[yellow]none[/yellow]"),
        )
    Console().print(table)
    if unknown:
        console.print(f"[red]data_providers.json names categories not in the list: {unknown}[/red]")
        raise typer.Exit(1)


@app.command()
def ingest(
    file: Path = typer.Argument(..., exists=True, dir_okay=False, help="JSON Lines or CSV file."),
    category: str = typer.Option(..., help="Sharing-list category code, e.g. water_fee."),
    provider: str = typer.Option(
        ..., help="Data provider code (seed_products/data_providers.json)."
    ),
    batch_id: str = typer.Option(None, help="Batch id (default: file name and content hash)."),
    file_format: str = typer.Option(None, "--format", help="jsonl or csv (default: by suffix)."),
    all_or_nothing: bool = typer.Option(False, help="Refuse the whole file if any row is bad."),
    errors_report: Path = typer.Option(None, help="Where to write every row error (JSON Lines)."),
    database_url: str = typer.Option(None, help="Overrides XINRONG_DATABASE_URL."),
) -> None:
    """Bulk physical collection from a file, with a progress bar and a per-row error report."""
    import hashlib
    import json

    from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn
    from sqlalchemy import select

    from backend.credit.bulk import ingest_stream
    from backend.credit.models import DataProvider
    from backend.errors import DomainError
    from backend.identity.models import Role
    from backend.runtime import Runtime
    from backend.security.actor import Actor

    settings = _settings(database_url)
    fmt = file_format or ("csv" if file.suffix.lower() == ".csv" else "jsonl")
    if batch_id is None:
        with file.open("rb") as handle:
            batch_id = f"{file.stem[:60]}-{hashlib.file_digest(handle, 'sha256').hexdigest()[:16]}"
    report_path = errors_report or file.with_name(file.name + ".errors.jsonl")
    size = file.stat().st_size

    async def run() -> object:
        runtime = Runtime.build(settings)
        try:
            async with runtime.sessionmaker() as session:
                provider_id = (
                    await session.execute(
                        select(DataProvider.id).where(DataProvider.code == provider)
                    )
                ).scalar_one_or_none()
            if provider_id is None:
                raise DomainError(ErrorCode.NOT_FOUND, f"没有数据提供单位 {provider}", "provider")
            # The operator acts for the provider; the audit row names the command line.
            actor = Actor(
                role=Role.DATA_PROVIDER.value, data_provider_id=provider_id, request_id="cli-ingest"
            )
            report: list[Any] = []  # opened on the first error only, so a replay leaves it alone
            with Progress(
                TextColumn("[bold]{task.description}"),
                BarColumn(),
                TextColumn("{task.percentage:>5.1f}%  {task.fields[rows]} rows"),
                TimeRemainingColumn(),
                console=console,
            ) as progress:
                task = progress.add_task(file.name, total=size, rows=0)

                async def body() -> AsyncIterator[bytes]:
                    with file.open("rb") as handle:
                        while chunk := handle.read(1024 * 1024):
                            progress.advance(task, len(chunk))
                            yield chunk

                def write_errors(rows: list[dict]) -> None:
                    if not report:
                        report.append(report_path.open("w", encoding="utf-8"))
                    for row in rows:
                        report[0].write(json.dumps(row, ensure_ascii=False) + "\n")

                try:
                    return await ingest_stream(
                        runtime=runtime,
                        actor=actor,
                        batch_id=batch_id,
                        category=category,
                        body=body(),
                        fmt=fmt,
                        all_or_nothing=all_or_nothing,
                        on_progress=lambda rows: progress.update(task, rows=rows),
                        on_row_errors=write_errors,
                    )
                finally:
                    for handle in report:
                        handle.close()
        finally:
            await runtime.close()

    try:
        outcome = asyncio.run(run())
    except DomainError as exc:
        console.print(f"[red]{exc.code.value}[/red]: {exc.message}")
        raise typer.Exit(1) from exc
    batch = outcome.batch  # type: ignore[attr-defined]
    replayed = " (replayed: this batch was loaded before)" if outcome.replayed else ""  # type: ignore[attr-defined]
    typer.echo(
        f"batch {batch.external_batch_id}: {batch.status}, {batch.accepted} accepted, "
        f"{batch.rejected} rejected{replayed}"
    )
    if batch.rejected and not outcome.replayed:  # type: ignore[attr-defined]
        typer.echo(f"row errors: {report_path}")
    if batch.status == "REJECTED":
        raise typer.Exit(1)


@app.command()
def synth(
    enterprises: int = typer.Option(..., min=1, help="How many enterprises to generate."),
    seed: int = typer.Option(2026, help="Random seed: the same seed and date give the same data."),
    output: Path = typer.Option(
        Path("synth-data"), file_okay=False, help="Directory for the JSON Lines files."
    ),
    months: int = typer.Option(24, min=1, max=240, help="Months of monthly records."),
    as_of: str = typer.Option(None, help="Reference date YYYY-MM-DD (default: today in China)."),
    load: bool = typer.Option(True, "--load/--no-load", help="Load the files after writing."),
    database_url: str = typer.Option(None, help="Overrides XINRONG_DATABASE_URL."),
    features_only: bool = typer.Option(
        False,
        "--features-only",
        help="Write only enterprises and their features (no files, no records): fast, for "
        "policy-push and statistics benchmarks.",
    ),
    workers: int = typer.Option(
        None, min=0, help="With --features-only: worker processes (default: 2 from 20,000 up)."
    ),
) -> None:
    """Realistic synthetic enterprises with records, for load and benchmarks."""
    from datetime import date

    from backend.clock import china_today
    from backend.errors import DomainError
    from backend.runtime import Runtime
    from backend.synth import LoadResult, load_dataset, write_dataset

    try:
        reference = date.fromisoformat(as_of) if as_of else china_today()
    except ValueError as exc:
        console.print(f"[red]--as-of should be a date YYYY-MM-DD: {as_of}[/red]")
        raise typer.Exit(2) from exc
    if reference > china_today():
        console.print("[red]--as-of may not be in the future (records would be refused)[/red]")
        raise typer.Exit(2)
    settings = _settings(database_url) if load or features_only else None
    if settings is not None and settings.is_production:
        console.print("[red]synthetic data is never loaded in production[/red]")
        raise typer.Exit(2)

    if features_only:
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

        from backend.synth.features import FeaturesLoad, load_features

        assert settings is not None
        asyncio.run(_migrate_and_seed(settings, demo=False, do_seed=False))

        async def run_features() -> FeaturesLoad:
            runtime = Runtime.build(settings)
            try:
                with Progress(
                    BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(), console=console
                ) as progress:
                    task = progress.add_task("enterprises", total=enterprises)
                    return await load_features(
                        runtime=runtime,
                        enterprises=enterprises,
                        seed=seed,
                        as_of=reference,
                        months=months,
                        workers=workers,
                        on_progress=lambda done: progress.update(task, completed=done),
                    )
            finally:
                await runtime.close()

        loaded = asyncio.run(run_features())
        typer.echo(
            f"wrote {loaded.written} enterprises with features ({loaded.skipped} already "
            f"present, {loaded.refused} refused) in {loaded.seconds:.2f} s "
            f"({loaded.rate:,.0f} enterprises/s, {loaded.workers} worker processes)"
        )
        if loaded.refused:
            raise typer.Exit(1)
        return

    summary = write_dataset(
        output, enterprises=enterprises, seed=seed, as_of=reference, months=months
    )
    rate = summary.records / summary.seconds if summary.seconds else 0.0
    typer.echo(
        f"wrote {summary.records} records of {enterprises} enterprises to {output} "
        f"in {summary.seconds:.2f} s ({rate:,.0f} records/s)"
    )
    for category, count in summary.counts.items():
        typer.echo(f"  {category}.jsonl: {count}")
    if settings is None:
        return
    asyncio.run(_migrate_and_seed(settings, demo=False, do_seed=True))

    def show(result: LoadResult) -> None:
        replayed = " (replayed: loaded before, nothing changed)" if result.replayed else ""
        typer.echo(
            f"batch {result.batch_id}: {result.status}, {result.accepted} accepted, "
            f"{result.rejected} rejected in {result.seconds:.2f} s{replayed}"
        )
        for error in result.row_errors[:5]:
            typer.echo(f"    row {error['index']}: {error['code']} {error['message']}", err=True)

    async def run() -> list[LoadResult]:
        runtime = Runtime.build(settings)
        try:
            return await load_dataset(runtime=runtime, directory=output, on_loaded=show)
        finally:
            await runtime.close()

    try:
        results = asyncio.run(run())
    except DomainError as exc:
        console.print(f"[red]{exc.code.value}[/red]: {exc.message}")
        raise typer.Exit(1) from exc
    if any(result.rejected for result in results):
        raise typer.Exit(1)


@app.command("refresh-features")
def refresh_features_command(
    database_url: str = typer.Option(None, help="Overrides XINRONG_DATABASE_URL."),
) -> None:
    """Recount enterprises whose penalties left publicity since their features were computed.

    Changes to records refresh features at once; the passing of a date does not, so run this
    daily (cron, shortly after midnight China time).
    """
    from backend.enterprises.features import refresh_expired
    from backend.runtime import Runtime

    settings = _settings(database_url)

    async def run() -> int:
        runtime = Runtime.build(settings)
        try:
            async with runtime.sessionmaker() as session:
                count = await refresh_expired(session)
                await session.commit()
                return count
        finally:
            await runtime.close()

    typer.echo(f"refreshed the features of {asyncio.run(run())} enterprises")


@app.command("purge-sessions")
def purge_sessions(
    keep_days: int = typer.Option(
        190, help="Keep sessions that ended fewer days ago (at least 183: six months of logs)."
    ),
    batch_size: int = typer.Option(10_000, min=1, max=100_000, help="Rows per transaction."),
    dry_run: bool = typer.Option(
        False, "--dry-run", help="Count what would be deleted; delete none."
    ),
    database_url: str = typer.Option(None, help="Overrides XINRONG_DATABASE_URL."),
) -> None:
    """Delete sign-in sessions that ended (expired or signed out) more than KEEP_DAYS ago.

    Their client addresses are network-log data, kept six months by law and no longer. Batched,
    each batch audited (auth.sessions.purged); active sessions are never touched. Run monthly.
    """
    from backend.errors import DomainError
    from backend.identity.session_purge import check_keep_days, purge_ended_sessions
    from backend.runtime import Runtime

    try:
        check_keep_days(keep_days)
    except DomainError as exc:
        console.print(f"[red]拒绝执行 / refused:[/red] {exc.message}")
        raise typer.Exit(2) from exc
    settings = _settings(database_url)

    async def run() -> Any:
        runtime = Runtime.build(settings)
        try:
            return await purge_ended_sessions(
                runtime.sessionmaker,
                runtime.keyring,
                keep_days=keep_days,
                batch_size=batch_size,
                dry_run=dry_run,
            )
        finally:
            await runtime.close()

    report = asyncio.run(run())
    cutoff = f"{report.cutoff:%Y-%m-%d %H:%M} UTC"
    if report.dry_run:
        typer.echo(f"would delete {report.remaining} sign-in sessions that ended before {cutoff}")
    else:
        typer.echo(
            f"deleted {report.deleted} sign-in sessions that ended before {cutoff} "
            f"in {report.batches} batches; {report.remaining} left"
        )


@app.command("export-schema")
def export_schema(
    output: Path = typer.Option(None, help="Write to this file instead of standard output."),
) -> None:
    """Print the GraphQL SDL."""
    from graphql_schema.schema import export_sdl

    sdl = export_sdl()
    if output:
        output.write_text(sdl, encoding="utf-8")
    else:
        sys.stdout.write(sdl)


@app.command("create-staff")
def create_staff(
    phone: str = typer.Option(..., help="Mobile number of the new staff member."),
    display_name: str = typer.Option(..., help="Name shown in the console."),
    role: str = typer.Option(
        "GOVERNMENT", help="GOVERNMENT, AUDITOR, INSTITUTION or DATA_PROVIDER."
    ),
    department: str = typer.Option(None, help="Department (government and auditors)."),
    database_url: str = typer.Option(None, help="Overrides XINRONG_DATABASE_URL."),
) -> None:
    """Bootstrap a staff account (the first government account of a new deployment).

    The password is read from XINRONG_NEW_STAFF_PASSWORD or asked for without echo.
    """
    from backend.errors import DomainError
    from backend.identity import service as identity
    from backend.identity.models import Role
    from backend.runtime import Runtime
    from backend.security.actor import Actor

    settings = _settings(database_url)
    password = os.environ.get("XINRONG_NEW_STAFF_PASSWORD") or getpass.getpass("Password: ")

    async def run() -> int:
        runtime = Runtime.build(settings)
        try:
            async with runtime.sessionmaker() as session:
                account = await identity.create_staff_account(
                    session=session,
                    runtime=runtime,
                    actor=Actor.system(request_id="cli"),
                    phone=phone,
                    password=password,
                    display_name=display_name,
                    role=Role(role),
                    department=department,
                )
                await session.commit()
                return account.id
        finally:
            await runtime.close()

    try:
        account_id = asyncio.run(run())
    except (DomainError, ValueError) as exc:
        console.print(f"[red]{getattr(exc, 'code', 'ERROR')}[/red]: {exc}")
        raise typer.Exit(1) from exc
    typer.echo(f"created {role} account {account_id}")


@app.command("push-policy")
def push_policy(
    policy_id: str = typer.Argument(..., help="The policy's id."),
    chunk_size: int = typer.Option(
        None, min=1, max=1_000_000, help="Enterprise ids per chunk (default 50,000)."
    ),
    take_over: bool = typer.Option(
        False, "--take-over", help="Run the job even if another instance's lease is still valid."
    ),
    database_url: str = typer.Option(None, help="Overrides XINRONG_DATABASE_URL."),
) -> None:
    """Run a policy push job with progress: tells every qualifying firm once; resumable."""
    from backend.policies.cli import push_policy_command

    push_policy_command(_settings(database_url), policy_id, chunk_size, take_over)


@app.command("rotate-keys")
def rotate_keys(
    batch_size: int = typer.Option(1000, min=1, max=100_000, help="Rows per transaction."),
    dry_run: bool = typer.Option(
        False, "--dry-run", help="Count what would be rewritten, per key id and column; write none."
    ),
    status: bool = typer.Option(
        False, "--status", help="Show which keys the data still needs and for what (no changes)."
    ),
    skip_deploy_check: bool = typer.Option(
        False,
        "--skip-deploy-check",
        help="Rotate even though audit rows signed with an old key were written lately.",
    ),
    database_url: str = typer.Option(None, help="Overrides XINRONG_DATABASE_URL."),
) -> None:
    """Re-encrypt personal data and recompute look-up hashes under the current secret key.

    Run after every instance was restarted with the new XINRONG_SECRET_KEY and the old one in
    XINRONG_PREVIOUS_SECRET_KEYS. Batched, compare-and-set, resumable, audited (keys.rotate).
    """
    from backend.security.rotation_cli import rotate_keys_command

    rotate_keys_command(
        _settings(database_url),
        batch_size=batch_size,
        dry_run=dry_run,
        status=status,
        skip_deploy_check=skip_deploy_check,
    )


if __name__ == "__main__":  # pragma: no cover
    app()
