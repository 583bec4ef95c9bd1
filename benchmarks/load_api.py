"""Bounded load test of the HTTP API on loopback: one uvicorn worker (``shequn serve``) with the
sample knowledge, offline engines, keys on (auth, metrics, logs and audit all in the path), the
client (httpx + asyncio, same machine) keeping ``--concurrency`` requests in flight for
``--seconds`` per scenario. Prints one JSON object: req/s, errors, p50/p95/p99 per scenario.

Targets (issue #20): moderation ≥ 1,500 req/s and answers ≥ 300 req/s with 0 errors at
concurrency 32 for 60 s. ``make load`` runs it; it takes about two minutes of both cores.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import secrets
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


def _texts(path: Path, field: str, limit: int = 500) -> list[str]:
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return [r[field] for r in rows if isinstance(r.get(field), str)][:limit]


async def _scenario(url: str, key: str, make: Callable[[int], tuple[str, dict[str, Any]]], args: Any) -> dict:
    seconds: list[float] = []
    errors: dict[str, int] = {}
    numbers = count()
    limits = httpx.Limits(max_connections=args.concurrency, max_keepalive_connections=args.concurrency)
    headers = {"Authorization": f"Bearer {key}"}
    async with httpx.AsyncClient(base_url=url, limits=limits, headers=headers, timeout=30) as client:
        for i in range(args.concurrency):  # warm-up: models loaded and connections open before the clock starts
            path, body = make(i)
            await client.post(path, json=body)
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


def _serve(data_dir: Path, port: int, key: str) -> subprocess.Popen[bytes]:
    env = {**os.environ, "SHEQUN_DATA_DIR": str(data_dir), "SHEQUN_API_KEYS": f"{key}:admin",
           "SHEQUN_RATE_LIMIT": "", "SHEQUN_LLM": "offline"}  # fmt: skip
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
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--port", type=int, default=8765)
    args = parser.parse_args()
    messages, questions = _texts(MODERATION_CASES, "text"), _texts(ANSWER_CASES, "question")
    scenarios = {
        "moderation": lambda i: ("/v1/moderations", {"input": messages[i % len(messages)], "community": "mombaby"}),
        "answers": lambda i: ("/v1/answers", {"question": questions[i % len(questions)], "community": "course"}),
    }
    key = secrets.token_urlsafe(24)
    with tempfile.TemporaryDirectory() as tmp:
        proc = _serve(Path(tmp), args.port, key)
        try:
            url = f"http://127.0.0.1:{args.port}"
            results = {name: asyncio.run(_scenario(url, key, make, args)) for name, make in scenarios.items()}
        finally:
            proc.terminate()
            proc.wait(timeout=10)
    for name, result in results.items():
        result["target_req_per_s"] = TARGETS[name]
    print(json.dumps({"concurrency": args.concurrency, "seconds": args.seconds, **results}, ensure_ascii=False))


if __name__ == "__main__":
    main()
