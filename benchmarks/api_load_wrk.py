"""wrk as the load generator of ``benchmarks.api_load`` (when installed: ``apt-get install wrk``).

On two shared cores the generator competes with the server for CPU. The Python generator
(``benchmarks.api_load_client``) spends about 0.25 ms of CPU per request, more than the ceiling
app spends answering it, so it caps the ceiling; wrk (C, LuaJIT) spends a fraction of that. A
Lua script made per scenario sends the scenario's body; with tokens, each request carries the
next of the clients' tokens in turn (wrk's script cannot tie a token to a connection: the 50
connections together still send each firm's token equally often). ``response()`` counts as an
error any status but 200 and, for GraphQL, any answer that holds ``errors`` or does not start
with ``{"data"``; socket errors and time-outs are added from wrk's summary. A warm-up run of
``warmup`` seconds comes first; the measured run reports wrk's latency percentiles. Between the
two runs wrk closes its connections, and requests still in flight are lost: for slow
requests (the GraphQL scenarios answer in about a second under load), a measured run therefore
starts behind the warm-up's leftovers, and its last answers fall outside it. That is why
``api_load`` uses wrk for the ceiling only, unless told otherwise.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from benchmarks.api_load_client import ClientSpec, LoadFigures

SCRIPT = """
local tokens = {%(tokens)s}
local body = [==[%(body)s]==]
local graphql = %(graphql)s
local path = "%(path)s"
local threads = {}
local next_id = 0

function setup(thread)
  thread:set("id", next_id)
  next_id = next_id + 1
  table.insert(threads, thread)
end

function init(args)
  turn = id
  errors = 0
  first = ""
end

function request()
  local headers = { ["Content-Type"] = "application/json" }
  if #tokens > 0 then
    turn = turn + 1
    headers["Authorization"] = "Bearer " .. tokens[(turn %% #tokens) + 1]
  end
  return wrk.format("POST", path, headers, body)
end

function response(status, headers, answer)
  local problem = nil
  if status ~= 200 then
    problem = "HTTP " .. status .. ": " .. answer:sub(1, 200)
  elseif answer:sub(1, 7) ~= '{"data"' or (graphql and answer:find('"errors"', 1, true)) then
    problem = "answer: " .. answer:sub(1, 250)
  end
  if problem then
    errors = errors + 1
    if first == "" then first = problem end
  end
end

function done(summary, latency, requests)
  local counted, sample = 0, ""
  for _, thread in ipairs(threads) do
    counted = counted + thread:get("errors")
    if sample == "" then sample = thread:get("first") end
  end
  local e = summary.errors
  io.write(string.format(
    'RESULT {"requests": %%d, "duration_us": %%d, "errors": %%d, "socket_errors": %%d, '
    .. '"p50_us": %%d, "p90_us": %%d, "p99_us": %%d, "max_us": %%d, "mean_us": %%f}\\n',
    summary.requests, summary.duration, counted,
    e.connect + e.read + e.write + e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99),
    latency.max, latency.mean))
  io.write("SAMPLE " .. sample:gsub("\\n", " ") .. "\\n")
end
"""


def wrk_path() -> str | None:
    """The wrk binary, if installed."""
    return shutil.which("wrk")


def lua_script(url: str, clients: list[ClientSpec], graphql: bool) -> str:
    """The script for one scenario: its body and every client's token."""
    tokens = [c.token for c in clients if c.token]
    body = clients[0].body.decode()
    if "]==]" in body:
        raise ValueError("the body cannot be quoted in the Lua script")
    return SCRIPT % {
        "tokens": ", ".join(json.dumps(token) for token in tokens),
        "body": body,
        "graphql": "true" if graphql else "false",
        "path": urlsplit(url).path,
    }


@dataclass
class WrkRun:
    """A warm-up then a measured wrk run, in a thread of their own."""

    command: list[str]
    warmup: float
    duration: float
    output: str = ""
    cpu_seconds: float = 0.0
    failure: str | None = None
    thread: threading.Thread = field(init=False)

    def __post_init__(self) -> None:
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _wrk(self, seconds: float) -> tuple[str, float]:
        command = [*self.command[:1], "-d", f"{seconds:g}s", *self.command[1:]]
        process = subprocess.Popen(  # noqa: S603 (wrk with our own arguments)
            command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
        )
        assert process.stdout is not None
        output = process.stdout.read()
        _pid, status, usage = os.wait4(process.pid, 0)
        process.returncode = os.waitstatus_to_exitcode(status)
        if process.returncode != 0:
            raise RuntimeError(f"wrk failed ({process.returncode}): {output[-2000:]}")
        return output, usage.ru_utime + usage.ru_stime

    def _run(self) -> None:
        try:
            if self.warmup > 0:
                self._wrk(self.warmup)
            self.output, self.cpu_seconds = self._wrk(self.duration)
        except (OSError, RuntimeError) as exc:
            self.failure = str(exc)

    def get(self, timeout: float) -> LoadFigures:
        """The measured run's figures."""
        self.thread.join(timeout)
        if self.thread.is_alive():
            raise TimeoutError("wrk did not finish in time")
        if self.failure is not None:
            raise RuntimeError(self.failure)
        return figures_from_output(self.output, self.cpu_seconds, self.duration)


def figures_from_output(output: str, cpu_seconds: float, duration: float) -> LoadFigures:
    """Read the script's RESULT and SAMPLE lines."""
    lines = output.splitlines()
    result_line = next((line for line in lines if line.startswith("RESULT ")), None)
    if result_line is None:
        raise RuntimeError(f"wrk printed no result:\n{output[-2000:]}")
    result = json.loads(result_line.removeprefix("RESULT "))
    sample = next(
        (line.removeprefix("SAMPLE ") for line in lines if line.startswith("SAMPLE ")), ""
    )
    errors = int(result["errors"]) + int(result["socket_errors"])
    samples = [sample] if sample.strip() else []
    if result["socket_errors"]:
        samples.append(f"{result['socket_errors']} socket errors or time-outs")
    return LoadFigures(
        generator="wrk",
        requests=int(result["requests"]),
        errors=errors,
        error_samples=samples,
        p50_ms=result["p50_us"] / 1000,
        p90_ms=result["p90_us"] / 1000,
        p99_ms=result["p99_us"] / 1000,
        max_ms=result["max_us"] / 1000,
        mean_ms=result["mean_us"] / 1000,
        cpu_seconds=cpu_seconds,
        busiest_core=cpu_seconds / duration,
    )


class WrkGenerator:
    """Runs each scenario with wrk (``threads`` threads, one connection per client)."""

    def __init__(self, threads: int) -> None:
        binary = wrk_path()
        if binary is None:
            raise RuntimeError("wrk is not installed (apt-get install wrk)")
        self.binary = binary
        self.threads = threads
        self.scripts = Path(tempfile.mkdtemp(prefix="xinrong-wrk-"))

    def start(
        self,
        url: str,
        clients: list[ClientSpec],
        *,
        graphql: bool,
        warmup: float,
        duration: float,
        timeout: float = 30.0,
    ) -> tuple[WrkRun, float, float]:
        """Start a scenario; returns the run, the time measuring starts and ends."""
        script = self.scripts / f"scenario-{time.monotonic_ns()}.lua"
        script.write_text(lua_script(url, clients, graphql))
        command = [
            self.binary,
            "-t",
            str(min(self.threads, len(clients))),
            "-c",
            str(len(clients)),
            "--timeout",
            f"{timeout:g}s",
            "-s",
            str(script),
            url,
        ]
        measure_from = time.time() + warmup
        return WrkRun(command, warmup, duration), measure_from, measure_from + duration

    def close(self) -> None:
        """Remove the scripts."""
        shutil.rmtree(self.scripts, ignore_errors=True)
