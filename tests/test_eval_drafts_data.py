"""The drafting suite is written apart from what the engine drafts from and what moderation
trained on: no post is a near copy of a library script or a training line, and the suite is
as large as issue #17 asks."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from assistant.knowledge.loader import load_knowledge
from assistant.knowledge.models import Script, ScriptKind
from evals import drafts
from evals.dataset import load_jsonl
from tests.conftest import SAMPLE_KNOWLEDGE
from tests.test_eval_data import bigrams, jaccard

TRAIN = Path(__file__).resolve().parent.parent / "assistant" / "moderation" / "data" / "train"
NEAR_COPY = 0.4
HOLDOUT = drafts.HOLDOUT


def test_suite_size_and_coverage() -> None:
    briefs = load_jsonl(drafts.BRIEFS, drafts.BriefCase)
    posts = load_jsonl(drafts.POSTS, drafts.PostCase)
    assert briefs.errors == [] and posts.errors == []
    assert len(briefs.cases) >= 120
    assert {c.kind for c in briefs.cases} == set(ScriptKind.__args__)  # type: ignore[attr-defined]
    assert {c.community for c in briefs.cases} == {"course", "mombaby"}
    planted = Counter(c.violation for c in posts.cases if c.violation)
    assert sum(planted.values()) >= 60 and len(planted) == 9
    assert sum(1 for c in posts.cases if c.violation is None) >= 60


def test_no_post_copies_a_script_or_a_training_line() -> None:
    import json

    sources = [bigrams(i.body) for i in load_knowledge(SAMPLE_KNOWLEDGE).items if isinstance(i, Script)]
    for file in sorted(TRAIN.glob("*.jsonl")):
        sources += [bigrams(json.loads(line)["text"]) for line in file.read_text("utf-8").splitlines() if line]
    copies = []
    posts = [*load_jsonl(drafts.POSTS, drafts.PostCase).cases, *load_jsonl(HOLDOUT, drafts.PostCase).cases]
    for case in posts:
        post = bigrams(case.text)
        closest = max(jaccard(post, s) for s in sources)
        if closest >= NEAR_COPY:
            copies.append((case.id, round(closest, 2)))
    assert copies == []
