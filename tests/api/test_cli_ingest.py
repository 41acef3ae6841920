"""`xinrong ingest FILE --category CAT --provider NAME` on both databases."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from backend.cli import app

USCC = "91371302MA3CDXY10K"  # a demo enterprise


def run(database_url: str, *args: str):
    return CliRunner().invoke(app, list(args), env={"XINRONG_DATABASE_URL": database_url})


def gas_rows(count: int) -> list[dict]:
    return [
        {
            "uscc": USCC,
            "name": "临沂沂蒙顺达物流有限公司",
            "account_no": f"G-{i}",
            "month": "2026-10",
            "amount_paid": "88",
            "usage": "3",
            "in_arrears": False,
        }
        for i in range(count)
    ]


def test_ingest_a_file_with_a_row_error_report(database_url, tmp_path):
    # given
    assert run(database_url, "seed", "--demo").exit_code == 0
    rows = gas_rows(30)
    rows[7]["usage"] = "-5"
    file = tmp_path / "gas.jsonl"
    file.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows), "utf-8")
    # when
    first = run(database_url, "ingest", str(file), "--category", "gas_fee", "--provider", "gas")
    again = run(database_url, "ingest", str(file), "--category", "gas_fee", "--provider", "gas")
    # then
    assert first.exit_code == 0, first.output
    assert "PARTIAL, 29 accepted, 1 rejected" in first.stdout
    report = [
        json.loads(line)
        for line in (tmp_path / "gas.jsonl.errors.jsonl").read_text("utf-8").splitlines()
    ]
    assert [(r["index"], r["field"]) for r in report] == [(7, "usage")]
    assert "replayed" in again.stdout


def test_ingest_csv_and_refusals(database_url, tmp_path):
    assert run(database_url, "seed", "--demo").exit_code == 0
    file = tmp_path / "gas.csv"
    file.write_text(
        "uscc,name,account_no,month,amount_paid,usage,in_arrears\n"
        f"{USCC},临沂沂蒙顺达物流有限公司,G-1,2026-09,88,3,false\n",
        "utf-8",
    )
    ok = run(database_url, "ingest", str(file), "--category", "gas_fee", "--provider", "gas")
    unknown_provider = run(
        database_url, "ingest", str(file), "--category", "gas_fee", "--provider", "x"
    )
    not_allowed = run(database_url, "ingest", str(file), "--category", "tax", "--provider", "gas")
    assert ok.exit_code == 0 and "ACCEPTED, 1 accepted" in ok.stdout
    assert unknown_provider.exit_code == 1 and "NOT_FOUND" in unknown_provider.stderr
    assert not_allowed.exit_code == 1 and "FORBIDDEN" in not_allowed.stderr
