"""Moderation eval lines are written apart from every training line (authored messages and the
everyday chat the shipped classifier learns from): a near copy would measure memory, not recall."""

from collections import defaultdict
from pathlib import Path

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


def test_no_moderation_eval_line_is_a_near_copy_of_a_training_line() -> None:
    authored, _ = read_labelled([AUTHORED])
    training = [bigrams(row.text) for row in [*authored, *read_chat()]]
    holding: dict[str, set[int]] = defaultdict(set)  # bigram → training lines that contain it
    for i, grams in enumerate(training):
        for gram in grams:
            holding[gram].add(i)
    copies = []
    for path in EVAL_FILES:
        for text in _eval_texts(path):
            grams = bigrams(text)
            candidates = set().union(*(holding.get(g, set()) for g in grams))
            closest = max((jaccard(grams, training[i]) for i in candidates), default=0.0)
            if closest >= APART:
                copies.append((path.name, text, round(closest, 2)))
    assert copies == []
