"""Moderation eval lines are written apart from every training line (authored messages and the
everyday chat the shipped classifier learns from): a near copy would measure memory, not recall."""

import json
from collections import defaultdict
from pathlib import Path

import pytest

from assistant.moderation.classifier import read_labelled
from assistant.moderation.training import AUTHORED, read_chat
from evals.dataset import load_jsonl
from evals.moderation import DEFAULT_DATA, BenignCase
from tests.test_eval_data import bigrams, jaccard

#: The brief's bound for eval-vs-training overlap (char-bigram Jaccard).
APART = 0.4
EVAL_FILES = [
    DEFAULT_DATA,
    DEFAULT_DATA.parent / "moderation_evasion.jsonl",
    DEFAULT_DATA.parent / "moderation_benign.jsonl",
]


def _eval_texts(path: Path) -> list[str]:
    dataset = load_jsonl(path, BenignCase)
    assert dataset.errors == []
    return [case.text for case in dataset.cases]


def _near_copies(texts: list[str], against: list[frozenset[str]]) -> list[tuple[str, float]]:
    """Each text whose char-bigram Jaccard to some line of ``against`` reaches ``APART``."""
    holding: dict[str, set[int]] = defaultdict(set)  # bigram → lines that contain it
    for i, grams in enumerate(against):
        for gram in grams:
            holding[gram].add(i)
    copies = []
    for text in texts:
        grams = bigrams(text)
        candidates = set().union(*(holding.get(g, set()) for g in grams))
        closest = max((jaccard(grams, against[i]) for i in candidates), default=0.0)
        if closest >= APART:
            copies.append((text, round(closest, 2)))
    return copies


def test_no_moderation_eval_line_is_a_near_copy_of_a_training_line() -> None:
    authored, _ = read_labelled([AUTHORED])
    training = [bigrams(row.text) for row in [*authored, *read_chat()]]
    assert [copy for path in EVAL_FILES for copy in _near_copies(_eval_texts(path), training)] == []


#: The shared measure-only sets (../shared/datasets beside the checkout); absent in CI, then skipped.
SHARED_DATASETS = Path(__file__).resolve().parents[2] / "shared" / "datasets"
#: Shorter lines (「我再想想」, 「没问题」) are phrases every dialogue shares, not copies of one.
SHORTEST_CHECKED = 5  # distinct char bigrams


@pytest.mark.skipif(not SHARED_DATASETS.is_dir(), reason="the shared measure-only datasets are not on this machine")
def test_no_training_line_is_a_near_copy_of_a_measure_only_dataset_line() -> None:
    """The training lines are written by the project: one close to a CPED or COLD line would carry
    their text into the models and make the measurement on them a memory test. The everyday chat
    is checked too: both the moderation and the sentiment model learn from it."""
    measured = [
        bigrams(json.loads(line)["text"])
        for path in sorted(SHARED_DATASETS.glob("*.jsonl"))
        for line in path.read_text(encoding="utf-8").splitlines()
        if line.strip()
    ]
    authored, _ = read_labelled([AUTHORED])
    written = [*authored, *read_chat()]
    checked = [row.text for row in written if len(bigrams(row.text)) >= SHORTEST_CHECKED]
    assert measured and len(checked) > len(written) / 2
    assert _near_copies(checked, measured) == []
