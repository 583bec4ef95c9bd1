"""Moderation speed: batch CLI throughput (start-up excluded), in-process latency per message,
and one API request of 1,000 messages.

Targets (issue #3): batch CLI ≥ 5,000 messages/s on 30-character messages; in-process p95
≤ 2 ms per message; API batch of 1,000 ≤ 1 s. Prints one JSON object.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

from assistant.services import Services
from assistant.settings import Settings
from evals.metrics import latency_ms

PIECES = [
    "今天的直播课讲得真好，老师辛苦了，作业已经交了",
    "宝宝一岁了奶粉要不要转段，大家都怎么转的呀",
    "加 薇 信 abc_2026x 私聊领取免费试用装名额",
    "满199减40的券在哪里领，小程序里找不到入口",
    "刷单返利日结三百，动动手指就能赚，有意者私",
    "你个傻逼天天在群里刷屏，烦死了赶紧滚出去吧",
    "快递显示签收了但我没收到，麻烦客服帮忙查下",
    "代开各类发票，正规税点低，需要的联系我谢谢",
]


def messages(n: int) -> list[str]:
    """~30-character messages: the size of real group chat."""
    rng = random.Random(5)
    return [f"{rng.choice(PIECES)}{i % 97}"[:30] for i in range(n)]


def bench_cli(n: int, runs: int = 3) -> dict[str, float]:
    """Start-up is timed on a one-message file and subtracted; both are the median of ``runs``
    runs, since start-up alone varies by ±0.5 s here, as much as 20k messages take."""
    shequn = str(Path(sys.executable).parent / "shequn")
    with tempfile.TemporaryDirectory() as tmp:
        env = {"SHEQUN_DATA_DIR": tmp, "PATH": str(Path(sys.executable).parent)}
        src, one = Path(tmp) / "in.jsonl", Path(tmp) / "one.jsonl"
        src.write_text("".join(json.dumps({"text": t}, ensure_ascii=False) + "\n" for t in messages(n)), "utf-8")
        one.write_text(json.dumps({"text": "你好"}) + "\n", "utf-8")
        timed: dict[Path, list[float]] = {one: [], src: []}
        for _ in range(runs):
            for path in (one, src):
                began = time.perf_counter()
                subprocess.run([shequn, "moderate", "--input", str(path), "--output", str(Path(tmp) / "out.jsonl"),
                                "--batch", "2000"], env=env, check=True, capture_output=True)  # fmt: skip
                timed[path].append(time.perf_counter() - began)
    startup, total = statistics.median(timed[one]), statistics.median(timed[src])
    return {"cli_messages": n, "cli_startup_s": round(startup, 2), "cli_messages_per_s": round(n / (total - startup))}


def bench_in_process(n: int) -> dict[str, float]:
    moderator = Services.from_settings(Settings()).moderation.moderator(None)
    texts = messages(n)
    moderator.moderate(texts[0])
    seconds = []
    for text in texts:
        began = time.perf_counter()
        moderator.moderate(text)
        seconds.append(time.perf_counter() - began)
    latency = latency_ms(seconds)
    return {"single_p50_ms": latency["p50"], "single_p95_ms": latency["p95"]}


def bench_api(requests: int) -> dict[str, float]:
    shequn = str(Path(sys.executable).parent / "shequn")
    port = 8799
    with tempfile.TemporaryDirectory() as tmp:
        proc = subprocess.Popen([shequn, "serve", "--port", str(port)], env={"SHEQUN_DATA_DIR": tmp},
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
        try:
            url = f"http://127.0.0.1:{port}"
            for _ in range(300):
                try:
                    httpx.get(f"{url}/healthz", timeout=1)
                    break
                except httpx.TransportError:
                    time.sleep(0.1)
            body = {"input": messages(1000)}
            httpx.post(f"{url}/v1/moderations", json=body, timeout=30)
            timings = []
            for _ in range(requests):
                began = time.perf_counter()
                resp = httpx.post(f"{url}/v1/moderations", json=body, timeout=30)
                resp.raise_for_status()
                timings.append(time.perf_counter() - began)
        finally:
            proc.terminate()
            proc.wait(timeout=10)
    timings.sort()
    return {
        "api_batch_1000_median_s": round(timings[len(timings) // 2], 3),
        "api_batch_1000_max_s": round(timings[-1], 3),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--messages", type=int, default=50000)
    parser.add_argument("--single", type=int, default=2000)
    parser.add_argument("--api-requests", type=int, default=5)
    args = parser.parse_args()
    result = {**bench_cli(args.messages), **bench_in_process(args.single), **bench_api(args.api_requests)}
    print(json.dumps(result))


if __name__ == "__main__":
    main()
