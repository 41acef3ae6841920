"""What the generated calls got back: counted per role, optionally written out as JSON Lines (a
file per test), and summed up by ``python -m tests.support.fuzz_tally DIR`` (``make fuzz``).

One line per call: the role, the database, the operation (query or mutation) and its root field,
how it ended (``ok``, a request error, each error code, each payload ``UserError`` code) and the
time it took.
"""

from __future__ import annotations

import json
import re
import sys
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

_ROOT = re.compile(r"^\s*(mutation|query)?[^{]*\{\s*(\w+)", re.S)


def outcomes(body: dict[str, Any]) -> list[str]:
    """How one response ended: ``ok``, ``request`` (refused before execution), codes."""
    found: list[str] = []
    errors = body.get("errors") or []
    for error in errors:
        code = (error.get("extensions") or {}).get("code")
        found.append(code or ("request" if error.get("path") is None else "uncoded"))
    for payload in (body.get("data") or {}).values():
        if isinstance(payload, dict):
            found += [f"payload:{e.get('code', '?')}" for e in payload.get("errors") or []]
    return found or ["ok"]


def operation_of(document: str) -> str:
    """``mutation login`` or ``query me``: the operation type and its (first) root field."""
    match = _ROOT.match(document)
    if not match:
        return "unparsed"
    return f"{match.group(1) or 'query'} {match.group(2)}"


@dataclass
class Tally:
    """The calls of one test: counts, and the lines to write when tracing."""

    role: str
    database: str
    calls: int = 0
    counts: Counter[str] = field(default_factory=Counter)
    lines: list[str] = field(default_factory=list)

    def count(self, document: str, body: dict[str, Any], seconds: float) -> None:
        """Count one call."""
        self.calls += 1
        ended = outcomes(body)
        self.counts.update(ended)
        line = {
            "role": self.role,
            "database": self.database,
            "operation": operation_of(document),
            "outcomes": ended,
            "ms": round(seconds * 1000, 1),
        }
        self.lines.append(json.dumps(line, ensure_ascii=False))

    def summary(self) -> str:
        """One line: the number of calls and the most frequent outcomes."""
        top = ", ".join(f"{name} {n}" for name, n in self.counts.most_common(10))
        return f"{self.role} on {self.database}: {self.calls} calls ({top})"

    def write_to(self, path: Path) -> None:
        """Write this test's lines to ``path`` (one file per test: workers never share one)."""
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("".join(line + "\n" for line in self.lines), encoding="utf-8")


def report(folder: Path) -> str:
    """A summary of the trace files in ``folder``: per database and role, calls and outcomes."""
    groups: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    for path in sorted(folder.glob("*.jsonl")):
        for raw in path.read_text(encoding="utf-8").splitlines():
            line = json.loads(raw)
            groups[(line["database"], line["role"])].append(line)
    out = []
    for (database, role), lines in sorted(groups.items()):
        counted: Counter[str] = Counter(o for line in lines for o in line["outcomes"])
        mutations = sum(1 for line in lines if line["operation"].startswith("mutation"))
        seconds = sum(line["ms"] for line in lines) / 1000
        top = ", ".join(f"{name} {n}" for name, n in counted.most_common(8))
        out.append(
            f"{database:10} {role:13} {len(lines):5} calls ({mutations} mutations, "
            f"{seconds:.1f} s answering): {top}"
        )
    total = sum(len(lines) for lines in groups.values())
    out.append(f"{total} generated calls in all")
    return "\n".join(out)


if __name__ == "__main__":
    print(report(Path(sys.argv[1])))
