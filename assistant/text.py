"""Comparison form of Chinese text: one place that decides what "the same words" means.

Retrieval and moderation both compare user text against authored text, so both need
full-width → half-width (NFKC), traditional → simplified (OpenCC) and case folding.
"""

from __future__ import annotations

import importlib.util
import re
import unicodedata
from functools import cache, lru_cache
from pathlib import Path

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
    """Toneless pinyin of one Han character, first reading ('' for anything else)."""
    reading = _pinyin_table().get(ord(char))
    if not reading:
        return ""
    first = unicodedata.normalize("NFD", reading.split(",")[0])
    return "".join(ch for ch in first if not unicodedata.combining(ch))


@cache
def _pinyin_table() -> dict[int, str]:
    """pypinyin's character table, loaded from its module file: importing the package would
    also load its phrase tables (0.5 s of start-up that single characters never need)."""
    spec = importlib.util.find_spec("pypinyin")
    assert spec is not None and spec.submodule_search_locations, "pypinyin is a dependency"
    path = Path(spec.submodule_search_locations[0]) / "pinyin_dict.py"
    module_spec = importlib.util.spec_from_file_location("_shequn_pinyin_dict", path)
    assert module_spec is not None and module_spec.loader is not None
    module = importlib.util.module_from_spec(module_spec)
    module_spec.loader.exec_module(module)
    return module.pinyin_dict  # type: ignore[no-any-return]
