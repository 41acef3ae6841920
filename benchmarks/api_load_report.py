"""The table ``benchmarks.api_load`` prints: figures per scenario, the aims beside them."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.table import Table

AIM_RPS, AIM_P99_MS = 500.0, 150.0
#: A worker's RSS "flat": grew by less than this between the middle and the end of a scenario.
FLAT_MB = 10.0


def memory_line(rss: dict[str, list[float | None]]) -> str:
    """Each worker's RSS at start → middle → end of the measured window, in MB."""
    parts = []
    for values in rss.values():
        parts.append("→".join("?" if v is None else f"{v:.0f}" for v in values))
    return "  ".join(parts)


def memory_flat(rss: dict[str, list[float | None]]) -> bool:
    """True when no worker grew by FLAT_MB or more from the middle to the end of the window
    (the start includes the growth of a fresh worker filling its caches)."""
    for values in rss.values():
        known = [v for v in values if v is not None]
        if len(known) < 2 or known[-1] - known[-2] >= FLAT_MB:
            return False
    return True


def report(summary: dict[str, Any]) -> None:
    """Print the table and a few lines about the run."""
    console = Console(width=190)
    table = Table(
        title=f"API under load — {summary['firms']:,} firms, {summary['clients']} clients"
    )
    for column in (
        "scenario",
        "generator",
        "requests",
        "req/s",
        "% of ceiling",
        "p50 ms",
        "p90 ms",
        "p99 ms",
    ):
        table.add_column(column, justify="right")
    for column in (
        "max ms",
        "errors",
        "worker RSS MB (start→mid→end)",
        "CPU cores: srv/pg/gen/other",
        "new db conns",
        "xacts/req",
    ):
        table.add_column(column, justify="right")
    ceiling = next((s["rps"] for s in summary["scenarios"] if s["scenario"] == "ceiling"), None)
    for s in summary["scenarios"]:
        cpu = s["cpu_cores"]
        table.add_row(
            s["scenario"],
            s["generator"],
            f"{s['requests']:,}",
            f"{s['rps']:,.0f}",
            f"{s['rps'] / ceiling:.1%}" if ceiling else "—",
            f"{s['p50_ms']:.1f}",
            f"{s['p90_ms']:.1f}",
            f"{s['p99_ms']:.1f}",
            f"{s['max_ms']:.0f}" if s["max_ms"] is not None else "—",
            str(s["errors"]),
            memory_line(s["worker_rss_mb"]),
            f"{cpu['server']:.2f}/{cpu['postgres']:.2f}/{cpu['generator']:.2f}/{cpu['other']:.2f}",
            f"{s['database']['connections_opened']:,}",
            "—"
            if s["database"]["transactions_per_request"] is None
            else f"{s['database']['transactions_per_request']:.1f}",
        )
    console.print(table)
    console.print(
        f"machine: {summary['cores']} cores (shared: 'other' is CPU used by anything else), "
        f"{summary['workers']} uvicorn workers per server, {summary['generator_processes']} "
        f"load-generator processes or wrk threads; load average at the end "
        f"{summary['load_average_1m']}"
    )
    for s in summary["scenarios"]:
        if s["scenario"] == "ceiling":
            continue
        verdicts = {
            f"≥ {AIM_RPS:g} req/s": s["rps"] >= AIM_RPS,
            f"p99 < {AIM_P99_MS:g} ms": s["p99_ms"] < AIM_P99_MS,
            "zero errors": s["errors"] == 0,
            "memory flat": memory_flat(s["worker_rss_mb"]),
        }
        aims = "; ".join(f"{aim}: {'yes' if ok else 'NO'}" for aim, ok in verdicts.items())
        console.print(f"aims, {s['scenario']}: {aims}")
    for s in summary["scenarios"]:
        busiest = s["generator_max_core"]
        if busiest >= 0.9:
            console.print(
                f"[yellow]{s['scenario']}: a load-generator process used {busiest:.0%} of a "
                "core: the generator may be the limit[/yellow]"
            )
        for sample in s["error_samples"]:
            console.print(f"[red]{s['scenario']} error:[/red] {sample}")
