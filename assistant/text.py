"""Comparison form of Chinese text: one place that decides what "the same words" means.

Retrieval and moderation both compare user text against authored text, so both need
full-width → half-width (NFKC), traditional → simplified (OpenCC) and case folding.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

import opencc

_T2S = opencc.OpenCC("t2s")
_SPACES = re.compile(r"\s+")


def to_simplified(text: str) -> str:
    """Traditional → simplified, phrase-aware (帳→账, 發→发 but 頭髮→头发)."""
    return str(_T2S.convert(text))


@lru_cache(maxsize=65536)
def fold(text: str) -> str:
    """NFKC (full-width letters, digits and punctuation become ASCII), simplified, lower case,
    runs of white space collapsed to one space."""
    text = unicodedata.normalize("NFKC", text)
    text = to_simplified(text).lower()
    return _SPACES.sub(" ", text).strip()


@lru_cache(maxsize=65536)
def char_pinyin(char: str) -> str:
    """Toneless pinyin of one Han character, first reading ('' for anything else).

    Read straight from pypinyin's character table: its phrase tables are not needed for
    single characters and would add 0.2 s to every command's start-up."""
    from pypinyin.pinyin_dict import pinyin_dict

    reading = pinyin_dict.get(ord(char))
    if not reading:
        return ""
    first = unicodedata.normalize("NFD", reading.split(",")[0])
    return "".join(ch for ch in first if not unicodedata.combining(ch))
