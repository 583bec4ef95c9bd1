"""Bounded load test of the HTTP API on loopback: one uvicorn worker (``shequn serve``) with the
sample knowledge, offline engines, keys on (auth, a per-key rate limit set high enough not to
throttle the bench key, metrics, JSON logs and audit all in the path), the client keeping
``--concurrency`` requests in flight for ``--seconds`` per scenario. Prints one JSON object per
scenario: req/s, errors, p50/p95/p99, and the server's CPU milliseconds per request (its own CPU
time, read from /proc before and after: a figure other load on the machine does not change).

The client shares the machine's cores with the server. ``wrk`` (Debian's ``wrk``) is used when it
is installed, as it costs the server's cores least; otherwise (or with ``--client httpx``) an
httpx + asyncio client in this process.

Targets (issue #20): moderation ≥ 1,500 req/s and answers ≥ 300 req/s with 0 errors at
concurrency 32 for 60 s. ``make load`` runs it; it takes about two minutes of both cores.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from itertools import count
from pathlib import Path
from typing import Any

import httpx

from evals.answers import DEFAULT_DATA as ANSWER_CASES
from evals.moderation import DEFAULT_DATA as MODERATION_CASES

BIN = Path(sys.executable).parent
TARGETS = {"moderation": 1500, "answers": 300}
#: High enough never to throttle the bench key, yet the limiter runs on every request as in production.
RATE_LIMIT = "20000/second"
Make = Callable[[int], tuple[str, dict[str, Any]]]

#: wrk script: one request body per line of the file given after ``--``, sent in turn; prints JSON when done.
WRK_SCRIPT = """
local bodies, n = {}, 0
function init(args)
  for line in io.lines(args[1]) do table.insert(bodies, line) end
  wrk.method = "POST"
  wrk.path = args[2]
  wrk.headers["Content-Type"] = "application/json"
  wrk.headers["Authorization"] = "Bearer " .. args[3]
end
function request()
  n = n + 1
  return wrk.format(nil, nil, nil, bodies[(n % #bodies) + 1])
end
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    '{"requests":%d,"micros":%d,"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d,' ..
    '"p50":%d,"p95":%d,"p99":%d}\\n', summary.requests, summary.duration, e.connect, e.read, e.write,
    e.status, e.timeout, latency:percentile(50), latency:percentile(95), latency:percentile(99)))
end
"""


def _texts(path: Path, field: str, limit: int = 500) -> list[str]:
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return [r[field] for r in rows if isinstance(r.get(field), str)][:limit]


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process (Linux /proc; fields 14 and 15 of its stat line)."""
    stat = Path(f"/proc/{pid}/stat").read_text()
    fields = stat[stat.rindex(")") + 2 :].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def _httpx(url: str, key: str, make: Make, args: Any) -> dict[str, Any]:
    seconds: list[float] = []
    errors: dict[str, int] = {}
    numbers = count()
    limits = httpx.Limits(max_connections=args.concurrency, max_keepalive_connections=args.concurrency)
    headers = {"Authorization": f"Bearer {key}"}
    async with httpx.AsyncClient(base_url=url, limits=limits, headers=headers, timeout=30) as client:
        deadline = time.perf_counter() + args.seconds

        async def worker() -> None:
            while time.perf_counter() < deadline:
                path, body = make(next(numbers))
                started = time.perf_counter()
                try:
                    resp = await client.post(path, json=body)
                    outcome = str(resp.status_code) if resp.status_code != 200 else None
                except httpx.HTTPError as exc:
                    outcome = type(exc).__name__
                seconds.append(time.perf_counter() - started)
                if outcome:
                    errors[outcome] = errors.get(outcome, 0) + 1

        began = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(args.concurrency)))
        elapsed = time.perf_counter() - began
    cuts = statistics.quantiles(seconds, n=100, method="inclusive") if len(seconds) > 1 else [0.0] * 99
    percentiles = {f"p{p}": round(cuts[p - 1] * 1000, 1) for p in (50, 95, 99)}
    return {"requests": len(seconds), "req_per_s": round(len(seconds) / elapsed, 1), "errors": errors,
            "latency_ms": percentiles}  # fmt: skip


def _wrk(url: str, key: str, make: Make, args: Any, folder: Path) -> dict[str, Any]:
    path = make(0)[0]
    bodies = folder / "bodies.txt"
    bodies.write_text("".join(json.dumps(make(i)[1]) + "\n" for i in range(500)), encoding="ascii")
    script = folder / "load.lua"
    script.write_text(WRK_SCRIPT, encoding="utf-8")
    command = ["wrk", "-t1", f"-c{args.concurrency}", f"-d{args.seconds}s", "--timeout", "30s", "-s", str(script),
               url, "--", str(bodies), path, key]  # fmt: skip
    out = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    found = json.loads(out.strip().splitlines()[-1])
    errors = {k: found[k] for k in ("connect", "read", "write", "status", "timeout") if found[k]}
    return {"requests": found["requests"], "req_per_s": round(found["requests"] / found["micros"] * 1e6, 1),
            "errors": errors, "latency_ms": {p: round(found[p] / 1000, 1) for p in ("p50", "p95", "p99")}}  # fmt: skip


def _scenario(url: str, key: str, make: Make, args: Any, pid: int, folder: Path) -> dict[str, Any]:
    headers = {"Authorization": f"Bearer {key}"}
    with httpx.Client(base_url=url, headers=headers, timeout=30) as client:
        for i in range(args.concurrency):  # warm-up: models loaded before the clock starts
            path, body = make(i)
            client.post(path, json=body).raise_for_status()
    cpu_before = cpu_seconds(pid)
    result = _wrk(url, key, make, args, folder) if args.client == "wrk" else asyncio.run(_httpx(url, key, make, args))
    cpu = cpu_seconds(pid) - cpu_before
    result["server_cpu_ms_per_request"] = round(cpu * 1000 / max(result["requests"], 1), 3)
    return result


def _serve(data_dir: Path, port: int, key: str) -> subprocess.Popen[bytes]:
    env = {**os.environ, "SHEQUN_DATA_DIR": str(data_dir), "SHEQUN_API_KEYS": f"{key}:admin",
           "SHEQUN_RATE_LIMIT": RATE_LIMIT, "SHEQUN_LLM": "offline"}  # fmt: skip
    subprocess.run([str(BIN / "shequn"), "ingest"], env=env, check=True, stdout=subprocess.DEVNULL)
    command = [str(BIN / "shequn"), "serve", "--port", str(port)]
    proc = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(600):
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return proc
        except httpx.TransportError:
            time.sleep(0.1)
    proc.kill()
    raise SystemExit("the server did not start")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--client", choices=("wrk", "httpx"), default="wrk" if shutil.which("wrk") else "httpx")
    parser.add_argument("--only", choices=sorted(TARGETS), help="Run one scenario.")
    args = parser.parse_args()
    messages, questions = _texts(MODERATION_CASES, "text"), _texts(ANSWER_CASES, "question")
    scenarios: dict[str, Make] = {
        "moderation": lambda i: ("/v1/moderations", {"input": messages[i % len(messages)], "community": "mombaby"}),
        "answers": lambda i: ("/v1/answers", {"question": questions[i % len(questions)], "community": "course"}),
    }
    if args.only:
        scenarios = {args.only: scenarios[args.only]}
    key = secrets.token_urlsafe(24)
    with tempfile.TemporaryDirectory() as tmp:
        proc = _serve(Path(tmp), args.port, key)
        try:
            url = f"http://127.0.0.1:{args.port}"
            results = {name: _scenario(url, key, make, args, proc.pid, Path(tmp)) for name, make in scenarios.items()}
        finally:
            proc.terminate()
            proc.wait(timeout=10)
    for name, result in results.items():
        result["target_req_per_s"] = TARGETS[name]
    load = [round(x, 2) for x in os.getloadavg()]
    print(json.dumps({"client": args.client, "concurrency": args.concurrency, "seconds": args.seconds,
                      "load_average": load, **results}, ensure_ascii=False))  # fmt: skip


if __name__ == "__main__":
    main()
