"""Comparison form of a message that undoes the disguises spammers use, keeping, for every
character, the span of the original text it came from (so evidence points at what was posted).

Steps: NFKC (full width → half width, ①→1), traditional → simplified, lower case; zero-width
characters, spaces, punctuation, symbols and emoji dropped (加 微-信 → 加微信) except emoji
that stand for something (➕ → 加, 🐧 → qq); runs of four or more Chinese numerals → digits
(幺三八零零 → 13800); finally the authored variant table (薇信/vx/jiaweixin → 微信 …),
leftmost-longest.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import cache, cached_property, lru_cache
from importlib import resources

import ahocorasick

from assistant.text import to_simplified

_ZERO_WIDTH = {"\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\u00ad"}
#: Emoji and symbols that stand for a word: kept (as that word) instead of dropped.
_SYMBOLS = {
    "➕": "加", "+": "加", "🐧": "qq", "💬": "聊", "🔗": "链接", "🈲": "禁", "🔪": "刀", "🗡": "刀", "🔫": "枪",
    "💣": "炸弹", "💊": "药", "🎰": "赌", "🔞": "成人", "💰": "钱", "💵": "钱",
}  # fmt: skip
_NUMERALS = dict(zip("零〇洞幺一壹二贰两三叁四肆五伍六陆七柒八捌九玖", "00011122233445566778899", strict=True))
#: Marks that end a clause; a '.' is left out, being the disguise in 微.信.
_CLAUSE_MARKS = frozenset("，。！？；：、,!?;\n")
#: Marks that end a sentence (a comma only ends a clause).
_SENTENCE_MARKS = frozenset("。！？；!?;\n…")
#: Shorter runs are words (一下, 三个, 两天), not disguised numbers.
MIN_NUMERAL_RUN = 4
_NUMERAL_RUN = re.compile(f"[{''.join(_NUMERALS)}0-9]{{{MIN_NUMERAL_RUN},}}")


@dataclass(frozen=True)
class Normalized:
    """``text`` and, for each of its characters, the original span ``[starts[i], ends[i])``."""

    original: str
    text: str
    starts: tuple[int, ...]
    ends: tuple[int, ...]

    def span(self, begin: int, end: int) -> tuple[int, int]:
        """Original span covering normalised characters ``[begin, end)``."""
        return self.starts[begin], self.ends[end - 1]

    def crosses_clause(self, begin: int, end: int) -> bool:
        """Normalised characters ``[begin, end)`` came from both sides of a clause mark (，。！？…):
        小腿上，吊牌 holds 上吊 only because the comma was dropped."""
        return any(
            not _CLAUSE_MARKS.isdisjoint(self.original[self.ends[i] : self.starts[i + 1]])
            for i in range(begin, end - 1)
        )

    def parts(self, shortest: int = 4, chunk: int = 12) -> list[str]:
        """Pieces of ``text`` a long post is also judged by: its sentences (cut where the posted
        text had 。！？；…) and its runs of clauses (cut at commas, joined until ``chunk``
        characters long), each at least ``shortest`` characters. A forum post is many statements,
        often in one comma-spliced sentence, as the classifier's background (review and news
        sentences, chat lines) was."""
        sentences: list[str] = []
        chunks: list[str] = []
        sentence_start = chunk_start = 0
        for i in range(len(self.text) - 1):
            gap = self.original[self.ends[i] : self.starts[i + 1]]
            if not gap:
                continue
            if not _SENTENCE_MARKS.isdisjoint(gap):
                sentences.append(self.text[sentence_start : i + 1])
                sentence_start = i + 1
            if i + 1 - chunk_start >= chunk and not _CLAUSE_MARKS.isdisjoint(gap):
                chunks.append(self.text[chunk_start : i + 1])
                chunk_start = i + 1
        sentences.append(self.text[sentence_start:])
        chunks.append(self.text[chunk_start:])
        return [piece for piece in dict.fromkeys([*sentences, *chunks]) if len(piece) >= shortest]

    @cached_property
    def spelled_out(self) -> bool:
        """Most characters stand apart (加，微，信 / 加 v 信): the separators are the disguise,
        so a word across a clause mark is still that word."""
        gaps = [self.starts[i + 1] > self.ends[i] for i in range(len(self.text) - 1)]
        return bool(gaps) and sum(gaps) * 2 >= len(gaps)


Piece = tuple[str, int, int]  # character, original start, original end


def normalize(text: str) -> Normalized:
    pieces = _substitute(_numerals(_fold(text)))
    return Normalized(
        original=text,
        text="".join(p[0] for p in pieces),
        starts=tuple(p[1] for p in pieces),
        ends=tuple(p[2] for p in pieces),
    )


def _fold(text: str) -> list[Piece]:
    out: list[Piece] = []
    for index, char in enumerate(text):
        for folded in _fold_char(char):
            out.append((folded, index, index + 1))
    return out


@lru_cache(maxsize=65536)
def _fold_char(char: str) -> str:
    """What one original character becomes: '' when it only separates (space, punctuation)."""
    if char in _ZERO_WIDTH:
        return ""
    if char in _SYMBOLS:
        return _SYMBOLS[char]
    out = []
    for c in to_simplified(unicodedata.normalize("NFKC", char)).lower():
        if c in _SYMBOLS:
            out.append(_SYMBOLS[c])
        elif unicodedata.category(c)[0] in "LN":
            out.append(c)
    return "".join(out)


def _numerals(pieces: list[Piece]) -> list[Piece]:
    """Runs of spoken digits (幺三八…) become digits; a run must hold at least one numeral
    character, so plain numbers and a lone 一 stay as they are."""
    out = pieces
    for run in _NUMERAL_RUN.finditer("".join(p[0] for p in pieces)):
        if any(c in _NUMERALS for c in run.group()):
            out = list(out) if out is pieces else out
            for j in range(run.start(), run.end()):
                char, start, end = pieces[j]
                out[j] = (_NUMERALS.get(char, char), start, end)
    return out


def _substitute(pieces: list[Piece]) -> list[Piece]:
    text = "".join(p[0] for p in pieces)
    out: list[Piece] = []
    cursor = 0
    for start, end, canonical in _leftmost_longest(text):
        out.extend(pieces[cursor:start])
        span_start, span_end = pieces[start][1], pieces[end - 1][2]
        out.extend((c, span_start, span_end) for c in canonical)
        cursor = end
    out.extend(pieces[cursor:])
    return out


def _leftmost_longest(text: str) -> list[tuple[int, int, str]]:
    matches = sorted(
        ((end + 1 - len(key), end + 1, value) for end, (key, value) in _variants().iter(text)),
        key=lambda m: (m[0], -m[1]),
    )
    chosen: list[tuple[int, int, str]] = []
    cursor = 0
    for start, end, value in matches:
        if start >= cursor:
            chosen.append((start, end, value))
            cursor = end
    return chosen


@cache
def _variants() -> ahocorasick.Automaton:
    automaton = ahocorasick.Automaton()
    for line in (resources.files("assistant.moderation") / "data" / "variants.txt").read_text("utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        key, value = line.split("\t")
        folded = "".join(_fold_char(c) for c in key)
        automaton.add_word(folded, (folded, value))
    automaton.make_automaton()
    return automaton
