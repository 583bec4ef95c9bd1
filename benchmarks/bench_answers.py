"""Q&A speed, offline engine: per-question latency over the sample knowledge base, for every
question of the answers suite (single, follow-up, unanswerable, risky), after one warm-up.

Target (issue #4): p95 ≤ 50 ms per question. Prints one JSON object.
"""

from __future__ import annotations

import json
import tempfile
import time
from pathlib import Path

from assistant.knowledge.loader import load_knowledge
from assistant.services import Services
from assistant.settings import Settings
from evals.answers import DEFAULT_DATA, AnswerCase
from evals.dataset import load_jsonl
from evals.metrics import latency_ms

ROUNDS = 3


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        services = Services.from_settings(Settings(data_dir=Path(tmp)))  # logs, as in production
        services.ingest(load_knowledge(services.settings.knowledge_dir))
        answerer = services.answerer
        cases = load_jsonl(DEFAULT_DATA, AnswerCase).cases
        answerer.answer("预热", None)
        seconds = []
        for _ in range(ROUNDS):
            for case in cases:
                started = time.perf_counter()
                answerer.answer(case.question, case.community, case.history)
                seconds.append(time.perf_counter() - started)
    print(json.dumps({"questions": len(seconds), "latency_ms": latency_ms(seconds), "target_p95_ms": 50}))


if __name__ == "__main__":
    main()
