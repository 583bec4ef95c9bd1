"""Clause-aware lexicon polarity, two extra columns beside the shipped model's character n-grams.

Character n-grams see 不错 and 差评 but not scope: in 没有乱七八糟的弹窗广告 the 没有 turns what
follows around, and a review's verdict comes after 但是 / 不过 / 可惜 (虽然贵，但是好用 is praise).
An authored word list (``data/lexicon.txt``, general usage, no eval text) is matched longest-first;
a negator flips the next polarity word in its clause (not in the question form 值不值), a degree
word scales it, a contrast word halves everything said before it, and praise in quotes
(真是“贴心”) is irony. The model learns how much to trust the two sums."""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import ahocorasick
import numpy as np

LEXICON = Path(str(resources.files("assistant.sentiment") / "data" / "lexicon.txt"))
KINDS = ("pos", "neg", "not", "more", "but", "zero")
#: Characters that end a clause: a negator or degree word reaches no further.
CLAUSE_ENDS = frozenset("，,。.！!？?；;：:、~…\n\t ")
BEFORE_CONTRAST = 0.5
QUOTES = {"“": "”", '"': '"', "「": "」", "『": "』", "'": "'"}


class Lexicon:
    def __init__(self, path: Path = LEXICON) -> None:
        self.automaton = ahocorasick.Automaton()
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if not line.strip() or line.startswith("#"):
                continue
            term, kind, *weight = line.split()
            if kind not in KINDS or len(weight) > 1:
                raise ValueError(f"{path}:{number}: expected TERM KIND [WEIGHT], KIND one of {KINDS}")
            self.automaton.add_word(term, (kind, float(weight[0]) if weight else 1.0, len(term)))
        self.automaton.make_automaton()

    def polarity(self, text: str) -> tuple[float, float]:
        """Positive and negative mass of one folded text."""
        positive = negative = 0.0
        flip, scale, last = 1.0, 1.0, 0  # pending negation (sign × strength), degree, end of the last match
        for start, end, (kind, weight, _) in leftmost_longest(self.automaton, text):
            if any(ch in CLAUSE_ENDS for ch in text[last:start]):
                flip, scale = 1.0, 1.0
            last = end + 1
            if _a_not_a(text, start):
                continue
            if kind == "not":
                flip *= -weight
            elif kind == "more":
                scale *= weight
            elif kind == "but":
                positive, negative, flip, scale = positive * BEFORE_CONTRAST, negative * BEFORE_CONTRAST, 1.0, 1.0
            elif kind != "zero":
                ironic = kind == "pos" and start > 0 and QUOTES.get(text[start - 1]) == text[end + 1 : end + 2]
                value = weight * scale * flip * (1.0 if kind == "pos" and not ironic else -1.0)
                if value > 0:
                    positive += value
                else:
                    negative -= value
                flip, scale = 1.0, 1.0
        return positive, negative

    def columns(self, folded: Sequence[str]) -> np.ndarray:
        """``log1p`` of each text's positive and negative mass, one row per text."""
        return np.log1p(np.array([self.polarity(t) for t in folded], dtype=np.float32).reshape(-1, 2))


def leftmost_longest(automaton: ahocorasick.Automaton, text: str) -> list[tuple[int, int, Any]]:
    """Non-overlapping matches, each the longest term starting at the leftmost free position, as
    (start, end inclusive, value). Not ``Automaton.iter_long``: it drops a shorter term found through
    a failure link (参差 is missed in 参差 when 参差不齐 is a term: pyahocorasick #133, #224)."""
    found = sorted((end - value[2] + 1, -value[2], end, value) for end, value in automaton.iter(text))
    chosen: list[tuple[int, int, Any]] = []
    free = 0
    for start, _, end, value in found:
        if start >= free:
            chosen.append((start, end, value))
            free = end + 1
    return chosen


def _a_not_a(text: str, start: int) -> bool:
    """A match at the 不 of 值不值 or the 没 of 好没好: the question form X不X, which denies nothing
    (the X after it was counted before it)."""
    return start > 0 and text[start] in "不没" and text[start - 1] == text[start + 1 : start + 2]


@cache
def builtin_lexicon() -> Lexicon:
    return Lexicon()
