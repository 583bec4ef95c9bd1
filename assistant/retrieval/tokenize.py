"""Chinese tokenising for retrieval: jieba words, folded, mapped onto canonical synonyms.

Members say 快递/物流/包裹 and refund/退钱/退款 for the same thing; BM25 and the hashing
embedding can only match them if both sides are mapped onto one canonical term first.
Word weights come from jieba's shipped general-corpus IDF table: static, so an embedding
never changes when the knowledge base does.
"""

from __future__ import annotations

import logging
import marshal
import re
import statistics
import sys
import tempfile
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from importlib import resources
from pathlib import Path

# jieba imports pkg_resources only to open its own dictionary, which costs 0.36 s of start-up;
# when that import fails it opens the same file directly.
_HIDE_PKG_RESOURCES = "pkg_resources" not in sys.modules
if _HIDE_PKG_RESOURCES:
    sys.modules["pkg_resources"] = None  # type: ignore[assignment]
import jieba  # noqa: E402

if _HIDE_PKG_RESOURCES:
    del sys.modules["pkg_resources"]

from assistant.memory import gc_paused  # noqa: E402
from assistant.retrieval.prefix_dict import install as install_prefix_dict  # noqa: E402
from assistant.text import char_pinyin, fold  # noqa: E402

_DATA = resources.files("assistant.retrieval") / "data"
_HAN_RUN = re.compile(r"[\u4e00-\u9fff]+")
_PUNCT = set(" \t\n,.!?;:'\"()[]{}<>~`@#$%^&*-_=+|\\/，。！？；：、“”‘’（）【】《》…—·～￥")


def _read_lines(name: str) -> list[str]:
    text = (_DATA / name).read_text(encoding="utf-8")
    return [ln.strip() for ln in text.splitlines() if ln.strip() and not ln.startswith("#")]


@dataclass
class Tokenizer:
    """Folds, segments, drops stop words and canonicalises synonyms."""

    user_words: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        # Ingest segments each text for the record, the embedding and BM25; a query is
        # segmented for both retrievers: memoising keeps that to one jieba pass per text.
        self.words = lru_cache(maxsize=65536)(self._words)  # type: ignore[method-assign]
        self.terms = lru_cache(maxsize=65536)(self._terms)  # type: ignore[method-assign]
        jieba.setLogLevel(logging.WARNING)
        self._dictionary = install_prefix_dict(jieba.dt)
        for word in _read_lines("domain_words.txt") + self.user_words:
            jieba.add_word(word, freq=2000)
        for line in _read_lines("synonyms.txt"):
            for word in line.split():
                if len(word) > 1 and not word.isascii():
                    jieba.add_word(word, freq=2000)

    def load_dictionary(self) -> None:
        """All of jieba's dictionary in memory now (a server at start, a benchmark before timing);
        bulk segmentation gets there by itself after ``FULL_LOAD_AFTER`` lookups."""
        self._dictionary.load_all()

    @cached_property
    def synonyms(self) -> dict[str, str]:
        """Each synonym (folded) → the first word of its line."""
        table: dict[str, str] = {}
        for line in _read_lines("synonyms.txt"):
            words = [fold(w) for w in line.split()]
            for word in words[1:]:
                table.setdefault(word, words[0])
        return table

    @cached_property
    def stopwords(self) -> frozenset[str]:
        return frozenset(fold(w) for w in _read_lines("stopwords.txt"))

    @cached_property
    def idf(self) -> dict[str, float]:
        """jieba's IDF table; unknown words get the median, like jieba.analyse does.

        Parsing its 270k lines takes 0.9 s, loading a marshal cache 0.1 s: worth it for
        ``shequn search`` start-up."""
        # Located by path: importing jieba.analyse would load jieba's POS tagger (0.7 s).
        path = Path(jieba.__file__).parent / "analyse" / "idf.txt"
        cache = Path(tempfile.gettempdir()) / f"shequn-idf-{path.stat().st_size}.marshal"
        try:
            with gc_paused():
                return marshal.loads(cache.read_bytes())  # type: ignore[no-any-return]
        except (OSError, ValueError, EOFError, TypeError):
            pass
        table: dict[str, float] = {}
        with path.open(encoding="utf-8") as fh:
            for line in fh:
                word, _, value = line.rstrip("\n").partition(" ")
                table[word] = float(value)
        tmp = cache.with_suffix(f".tmp{id(table)}")
        tmp.write_bytes(marshal.dumps(table))
        tmp.replace(cache)
        return table

    @cached_property
    def median_idf(self) -> float:
        return float(statistics.median_low(self.idf.values()))

    def words(self, text: str) -> tuple[str, ...]:
        """Canonical content words of ``text`` in order, sub-words included (搜索引擎模式)."""
        return self._words(text)

    def terms(self, text: str) -> tuple[str, ...]:
        """Words plus character bigrams (``b:``) and their pinyin (``p:``).

        Bigrams survive segmentation differences (挑站赛 is not a jieba word); pinyin bigrams
        survive homophone typos (积份 → jifen = 积分, 生曰 → shengri = 生日)."""
        return self._terms(text)

    def _words(self, text: str) -> tuple[str, ...]:
        out: list[str] = []
        # HMM discovery of unknown words is off: character bigrams already cover them, at a
        # third of the segmentation cost.
        for token in jieba.cut_for_search(fold(text), HMM=False):
            token = token.strip()
            if not token or token in _PUNCT or token in self.stopwords:
                continue
            out.append(self.synonyms.get(token, token))
        return tuple(out)

    def _terms(self, text: str) -> tuple[str, ...]:
        out = list(self.words(text))
        for run in _HAN_RUN.findall(fold(text)):
            spelled = [char_pinyin(ch) for ch in run]
            for i in range(len(run) - 1):
                out.append("b:" + run[i : i + 2])
                out.append("p:" + spelled[i] + spelled[i + 1])
        return tuple(out)

    def weight(self, word: str) -> float:
        """How much a word says about a question: IDF, capped so rare typos don't dominate."""
        return min(self.idf.get(word, self.median_idf), 12.0)


@lru_cache(maxsize=1)
def default_tokenizer() -> Tokenizer:
    """The process-wide tokenizer (jieba's dictionary is global state anyway)."""
    return Tokenizer()
