"""Drafting speed, offline engine: one month of a community's slots (weekly plan + festivals)
drafted, checked and stored in a fresh SQLite database, as the worker does; median of three
runs after one warm-up draft (models and dictionaries loaded once per process).

Target (issue #17): ≤ 2 s for a month of slots for one community. Prints one JSON object.
"""

from __future__ import annotations

import datetime as dt
import json
import statistics
import tempfile
import time
from pathlib import Path

from assistant.drafting.models import Brief
from assistant.drafting.service import Drafter
from assistant.knowledge.loader import load_knowledge
from assistant.services import Services
from assistant.settings import Settings

COMMUNITY = "course"
START = dt.datetime(2026, 6, 1, 8, 0, tzinfo=dt.UTC)
RUNS = 3


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(data_dir=Path(tmp))
        services = Services.from_settings(settings)
        services.ingest(load_knowledge(settings.knowledge_dir))
        index, moderation = services.index, services.moderation
        warm = Drafter(settings.model_copy(update={"database_url": f"sqlite:///{tmp}/warm.db"}), index, moderation)
        warm.compose(Brief(community=COMMUNITY, kind="live_notice", date=START.date(), brief="预热"))
        seconds, counts, passed = [], [], []
        for run in range(RUNS):
            isolated = settings.model_copy(update={"database_url": f"sqlite:///{tmp}/run{run}.db"})
            drafter = Drafter(isolated, index, moderation, now=lambda: START)
            drafter.set_plan(COMMUNITY, drafter.plan(COMMUNITY).model_copy(update={"lead_days": 29}))
            began = time.perf_counter()
            drafts = drafter.plan_ahead(COMMUNITY)
            seconds.append(time.perf_counter() - began)
            counts.append(len(drafts))
            passed.append(sum(d.passed for d in drafts))
    print(json.dumps({"community": COMMUNITY, "slots": counts[0], "passed": passed[0],
                      "seconds_median": round(statistics.median(seconds), 3),
                      "seconds_runs": [round(s, 3) for s in seconds], "target_seconds": 2.0}))  # fmt: skip


if __name__ == "__main__":
    main()
