"""Reading bulk files as streams: JSON Lines and CSV (UTF-8, header row), row by row.

Both readers take an async stream of byte chunks and never hold more than one chunk and one
partial record in memory. A row that cannot be read becomes an ``UnparsableRow`` (reported by
its index, like any bad row) instead of stopping the file.
"""

from __future__ import annotations

import codecs
import csv
import io
import json
from collections.abc import AsyncIterator
from typing import Any

from backend.credit.validation import UnparsableRow
from backend.errors import DomainError, ErrorCode

FORMATS = {
    "application/x-ndjson": "jsonl",
    "application/jsonl": "jsonl",
    "application/json-lines": "jsonl",
    "application/x-jsonlines": "jsonl",
    "text/csv": "csv",
}


def format_of(content_type: str | None) -> str:
    """``jsonl`` or ``csv`` from a Content-Type header, else VALIDATION_ERROR."""
    media = (content_type or "").split(";")[0].strip().lower()
    if media not in FORMATS:
        raise DomainError(
            ErrorCode.VALIDATION_ERROR,
            "Content-Type 应为 application/x-ndjson（JSON Lines）或 text/csv",
            field="Content-Type",
        )
    return FORMATS[media]


async def jsonl_rows(chunks: AsyncIterator[bytes]) -> AsyncIterator[Any]:
    """One parsed JSON value per non-blank line."""
    pending = b""
    line_number = 0
    async for chunk in chunks:
        lines = (pending + chunk).split(b"\n")
        pending = lines.pop()
        for line in lines:
            line_number += 1
            if line.strip():
                yield _parse_json_line(line, line_number)
    if pending.strip():
        yield _parse_json_line(pending, line_number + 1)


def _parse_json_line(line: bytes, line_number: int) -> Any:
    try:
        return json.loads(line)
    except (ValueError, UnicodeDecodeError):
        return UnparsableRow(f"第 {line_number} 行不是合法的 JSON")
    except RecursionError:  # nested past Python's limit: refuse the row, not the request
        return UnparsableRow(f"第 {line_number} 行的 JSON 嵌套过深")


def _record_boundary(text: str) -> int:
    """The end of the last complete CSV record in ``text`` (a newline outside quotes)."""
    quotes = 0
    boundary = 0
    start = 0
    while True:
        newline = text.find("\n", start)
        if newline < 0:
            return boundary
        quotes += text.count('"', start, newline)
        if quotes % 2 == 0:
            boundary = newline + 1
        start = newline + 1


async def csv_rows(chunks: AsyncIterator[bytes]) -> AsyncIterator[Any]:
    """One dict per CSV record, keyed by the header row; empty cells are left out."""
    decoder = codecs.getincrementaldecoder("utf-8-sig")()
    pending = ""
    header: list[str] | None = None

    def records(text: str) -> list[list[str]]:
        return list(csv.reader(io.StringIO(text)))

    async def texts() -> AsyncIterator[str]:
        nonlocal pending
        async for chunk in chunks:
            try:
                text = pending + decoder.decode(chunk)
            except UnicodeDecodeError as exc:
                raise DomainError(ErrorCode.VALIDATION_ERROR, "文件应为 UTF-8 编码") from exc
            cut = _record_boundary(text)
            pending = text[cut:]
            yield text[:cut]
        tail = pending + decoder.decode(b"", final=True)
        pending = ""
        yield tail

    async for text in texts():
        for values in records(text):
            if not any(cell.strip() for cell in values):
                continue
            if header is None:
                header = [name.strip() for name in values]
                continue
            if len(values) != len(header):
                yield UnparsableRow(f"该行有 {len(values)} 列，表头有 {len(header)} 列")
                continue
            yield {name: cell for name, cell in zip(header, values, strict=True) if cell != ""}
