"""``xinrong rotate-keys``: checks before a rotation, the progress bar, the summary and exit codes.

Exit codes: 0 done (``--status``: nothing but audit rows needs an old key); 1 rows are left for a
re-run or need a key that is not configured (``--status``: the rotation is not finished);
2 refused before anything was written (settings, a stale instance, conflicting options).
"""

from __future__ import annotations

import asyncio

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TaskID, TaskProgressColumn, TextColumn

from backend.runtime import Runtime
from backend.security.rotation import RotationReport, rotate_keys
from backend.security.rotation_sql import COLUMNS
from backend.security.rotation_status import KeyInventory, key_inventory, recent_old_key_writers
from backend.settings import Settings

console = Console(stderr=True)
#: An audit row signed with an old key this recently means an instance still runs with it.
DEPLOY_CHECK_MINUTES = 15


def _refuse(message: str) -> typer.Exit:
    console.print(f"[red]拒绝执行 / refused:[/red] {message}")
    return typer.Exit(2)


def _check_settings(settings: Settings) -> None:
    """Refuse a configuration under which a rotation cannot be right."""
    if settings.secret_key in settings.previous_secret_keys:
        raise _refuse(
            "XINRONG_SECRET_KEY 也出现在 XINRONG_PREVIOUS_SECRET_KEYS 中：新密钥须与旧密钥不同"
        )
    if not settings.previous_secret_keys:
        raise _refuse(
            "没有配置旧密钥（XINRONG_PREVIOUS_SECRET_KEYS 为空）。轮换步骤：1) 所有实例以新密钥为 "
            "XINRONG_SECRET_KEY、旧密钥放入 XINRONG_PREVIOUS_SECRET_KEYS 滚动重启；"
            "2) 运行 xinrong rotate-keys；3) 用 xinrong rotate-keys --status 核对"
        )


def print_inventory(inventory: KeyInventory) -> None:
    """Each key id, what needs it and what an operator may do with it; then the hash check."""
    typer.echo(f"keys (current {inventory.current_key_id}):")
    for use in inventory.keys.values():
        counts = ", ".join(f"{column} {use.ciphertexts.get(column, 0)}" for column in COLUMNS[:2])
        seqs = f" (seq {use.first_seq}–{use.last_seq})" if use.audit_rows else ""
        head = ", signs the audit head" if use.signs_head else ""
        typer.echo(f"  {use.key_id}  {use.role}{head}")
        typer.echo(f"    ciphertexts: {counts}; audit rows: {use.audit_rows}{seqs}")
        typer.echo(f"    → {inventory.verdict(use)}")
    last = inventory.last_rotation
    checked = (
        f"checked by the rotation finished {last.occurred_at:%Y-%m-%d %H:%M} UTC, seq {last.seq}"
        if last
        else "not checked by a complete rotation to the current key yet"
    )
    typer.echo(f"records without personal data: {inventory.records_without_personal} ({checked})")
    if inventory.old_key_rows_after_rotation:
        typer.echo(
            f"警告：上次轮换后仍有 {inventory.old_key_rows_after_rotation} 条审计记录由旧密钥签名"
            "——有实例仍以旧密钥为当前密钥，请重新部署后再运行 xinrong rotate-keys",
            err=True,
        )


def print_report(report: RotationReport) -> None:
    """What each column held under other keys and what the run did with it."""
    verb = "would rotate" if report.dry_run else "rotated"
    title = " (dry run: nothing written)" if report.dry_run else ""
    typer.echo(f"rotate-keys → key {report.key_id}{title}:")
    for name, tally in report.columns.items():
        found = ", ".join(f"{key} {count}" for key, count in sorted(tally.found.items()))
        typer.echo(
            f"  {name}: under other keys {found or '0'}; {verb} {tally.rotated}, "
            f"conflicts {tally.conflicts}, unmatched {tally.unmatched}, "
            f"key missing {tally.missing_key}, undecryptable {tally.undecryptable}"
        )
    typer.echo(f"{report.batches} batches of up to {report.batch_size} in {report.seconds:.2f} s")
    unmatched = sum(tally.unmatched for tally in report.columns.values())
    if unmatched:
        typer.echo(
            f"{unmatched} 个哈希与任何已配置密钥下的内容都不符"
            "（数据在平台之外被改过，或其密钥已不在配置中），保持原样",
            err=True,
        )


async def _status(settings: Settings) -> KeyInventory:
    runtime = Runtime.build(settings)
    try:
        async with runtime.sessionmaker() as session:
            return await key_inventory(session, settings)
    finally:
        await runtime.close()


async def _preflight(runtime: Runtime, dry_run: bool, skip_deploy_check: bool) -> None:
    """Refuse when data needs a key not configured, or an instance still signs with an old key."""
    async with runtime.sessionmaker() as session:
        inventory = await key_inventory(session, runtime.settings)
        missing = [use for use in inventory.missing if use.cipher_count]
        if missing:
            print_inventory(inventory)
            named = "、".join(f"{use.key_id}（{use.cipher_count} 条密文）" for use in missing)
            raise _refuse(
                f"密文使用了未配置的密钥 {named}：请把对应旧密钥加入 XINRONG_PREVIOUS_SECRET_KEYS"
            )
        if dry_run or skip_deploy_check:
            return
        stale = await recent_old_key_writers(
            session, runtime.keyring.current_key_id, DEPLOY_CHECK_MINUTES
        )
    if stale:
        named = "、".join(
            f"{key_id}（{count} 条，最近 {newest:%H:%M:%S} UTC）"
            for key_id, (count, newest) in stale.items()
        )
        raise _refuse(
            f"最近 {DEPLOY_CHECK_MINUTES} 分钟内仍有审计记录由旧密钥 {named} 签名："
            "有实例仍以旧密钥为当前密钥，它读不了轮换后的数据。"
            "请先完成所有实例的滚动重启；确认无误可加 --skip-deploy-check"
        )


async def _rotate(
    settings: Settings, batch_size: int, dry_run: bool, skip_deploy_check: bool
) -> tuple[RotationReport, KeyInventory]:
    runtime = Runtime.build(settings)
    try:
        await _preflight(runtime, dry_run, skip_deploy_check)
        with Progress(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            TaskProgressColumn(),
            TextColumn("id {task.completed:,.0f} / {task.total:,.0f}"),
            console=console,
        ) as progress:
            tasks: dict[str, tuple[TaskID, int]] = {}

            def show(table: str, last_id: int, upper: int) -> None:
                if table not in tasks:
                    tasks[table] = (progress.add_task(table, total=upper), upper)
                tasks[table] = (tasks[table][0], upper)
                progress.update(tasks[table][0], completed=last_id, total=upper)

            report = await rotate_keys(
                runtime=runtime, batch_size=batch_size, dry_run=dry_run, on_progress=show
            )
            for task, upper in tasks.values():
                progress.update(task, completed=upper)  # the rows past the last batch: none
        async with runtime.sessionmaker() as session:
            return report, await key_inventory(session, settings)
    finally:
        await runtime.close()


def rotate_keys_command(
    settings: Settings, *, batch_size: int, dry_run: bool, status: bool, skip_deploy_check: bool
) -> None:
    """The command's body (``backend.cli`` parses the options)."""
    if dry_run and status:
        raise _refuse("--dry-run 与 --status 不能同时使用")
    if status:
        inventory = asyncio.run(_status(settings))
        print_inventory(inventory)
        if not inventory.complete:
            raise typer.Exit(1)
        return
    _check_settings(settings)
    report, inventory = asyncio.run(_rotate(settings, batch_size, dry_run, skip_deploy_check))
    print_report(report)
    print_inventory(inventory)
    if report.dry_run:
        return
    if not report.complete:
        console.print(
            "[yellow]有数据未能轮换（见上文）：冲突的行请重新运行 xinrong rotate-keys[/yellow]"
        )
        raise typer.Exit(1)
    typer.echo(f"all ciphertexts and look-up hashes are under key {report.key_id}")
