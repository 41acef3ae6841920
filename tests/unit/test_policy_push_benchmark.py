"""The policy-push benchmark runs end to end on a few hundred firms and checks itself: the push
matches what a hand-written COUNT finds, and a second push tells nobody again."""

from __future__ import annotations

import json
import os

import pytest

from benchmarks.policy_push import main

KEYS = {
    "enterprises",
    "matched",
    "match_seconds",
    "count_seconds",
    "match_vs_count",
    "write_seconds",
    "total_seconds",
    "peak_mb",
    "second_run_pushed",
}


def test_the_benchmark_prints_its_figures_as_one_json_line(
    pg_admin_url: str | None, capsys: pytest.CaptureFixture[str]
):
    if pg_admin_url is None:
        if os.environ.get("XINRONG_REQUIRE_PG") == "1":
            pytest.fail("PostgreSQL is required (XINRONG_REQUIRE_PG=1) but none is available")
        pytest.skip("PostgreSQL not available")
    # when
    returned = main(["--enterprises", "300", "--database-url", pg_admin_url])
    # then the last line is the summary, with every figure the issue asks for
    printed = capsys.readouterr().out.strip().splitlines()
    summary = json.loads(printed[-1])
    assert summary == returned
    assert summary.keys() >= KEYS
    assert summary["enterprises"] == 300
    # and the push matched exactly what the hand-written SQL counts, a sizeable share
    assert summary["matched"] == summary["hand_count"]
    assert 0.1 * 300 <= summary["matched"] <= 0.4 * 300
    # and told each of them once; the second push told nobody
    assert summary["pushed"] == summary["messages"] == summary["matched"]
    assert summary["second_run_pushed"] == 0
    assert summary["peak_mb"] > 0 and summary["total_seconds"] > 0
    assert any(line.startswith("whole push (s)") for line in printed)
