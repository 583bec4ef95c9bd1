"""Sentiment speed and memory: offline classification throughput, and one summary of a
generated 100,000-message week (sentiment + moderation + topics + aggregates), timed with
peak memory (the whole process's max RSS, models included).

Workers are forked processes sharing the loaded models copy-on-write; the budget is per
process. Targets (issue #18): classify ≥ 10,000 messages/s offline; summarise 100,000 messages in
≤ 30 s and ≤ 1 GB. Prints one JSON object."""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import tempfile
import time
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

from assistant.sentiment.models import ChatMessage
from assistant.sentiment.offline import OfflineSentiment
from assistant.sentiment.service import SentimentService
from assistant.services import Services
from assistant.settings import Settings

PIECES = [
    "早上好，今天也要加油呀", "宝宝一岁了奶粉要不要转段，大家都怎么转的", "收到", "退款申请三天了还没到账，客服也不回",
    "今天的直播课讲得真好，老师辛苦了", "快递到哪了，物流一直不更新", "哈哈哈哈笑死我了", "呵呵，真是服了",
    "满199减40的券在哪里领，小程序里找不到入口", "加 薇 信 abc_2026x 私聊领取免费试用装", "这个活动太棒了，抽到奖了",
    "同问", "孩子作业写到十点，累死了", "+1", "周末有人一起去公园遛娃吗", "质量太差了，用了两天就坏了，要投诉",
]  # fmt: skip


SHORT = ["收到", "好的", "哈哈哈", "+1", "同问", "谢谢", "👍", "早"]


def chat(n: int, members: int = 400, days: int = 7) -> Iterator[ChatMessage]:
    """A quarter short replies (which repeat, as in real groups), the rest distinct texts
    (two pieces, cut at random, with a number), so no cache makes the benchmark easy."""
    rng = random.Random(18)
    start = datetime.fromisoformat("2026-12-01T08:00:00+08:00")
    step = timedelta(days=days) / n
    for i in range(n):
        a, b = rng.choice(PIECES), rng.choice(PIECES)
        text = rng.choice(SHORT) if rng.random() < 0.25 else f"{a[rng.randrange(4) :]}，{b[: rng.randrange(4, 20)]}{i}"
        yield ChatMessage(group="bench", time=start + i * step, sender=f"成员{rng.randrange(members)}", text=text)


def bench_classify(engine: OfflineSentiment, n: int) -> dict[str, float]:
    texts = [m.text for m in chat(n)]
    engine.classify_many(texts[:100])
    began = time.perf_counter()
    for i in range(0, n, 2000):
        engine.classify_many(texts[i : i + 2000])
    return {"messages": n, "messages_per_second": round(n / (time.perf_counter() - began))}


def _cpu() -> float:
    usage = [resource.getrusage(who) for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)]
    return sum(u.ru_utime + u.ru_stime for u in usage)


def bench_summary(service: SentimentService, n: int, workers: int) -> dict[str, float]:
    """Wall time depends on what else the machine runs; CPU seconds (this process and its
    workers) do not: on an idle machine, wall ≈ CPU seconds / cores."""
    began, cpu = time.perf_counter(), _cpu()
    summary = service.summarize(chat(n), staff=["成员0"], workers=workers)
    seconds, cpu = time.perf_counter() - began, _cpu() - cpu
    return {"messages": summary.messages, "seconds": round(seconds, 2), "cpu_seconds": round(cpu, 2),
            "load_average": round(os.getloadavg()[0], 1), "messages_per_second": round(n / seconds),
            "alerts": len(summary.alerts), "workers": workers}  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--classify", type=int, default=50_000)
    parser.add_argument("--summary", type=int, default=100_000)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(data_dir=Path(tmp))  # type: ignore[call-arg]
        service = Services.from_settings(settings).sentiment
        engine = service.offline
        result = {
            "classify": bench_classify(engine, args.classify),
            "summary": bench_summary(service, args.summary, args.workers),
        }
    usage = [resource.getrusage(who).ru_maxrss for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)]
    result["peak_rss_mb"] = {"main": round(usage[0] / 1024), "largest_worker": round(usage[1] / 1024)}
    result["targets"] = {"classify_per_second": 10_000, "summary_seconds": 30, "peak_rss_mb": 1024}
    print(json.dumps(result, ensure_ascii=False))


if __name__ == "__main__":
    main()
