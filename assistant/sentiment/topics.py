"""Topic words of a chat message: jieba words minus the community stop list, synonyms mapped
onto one word (快递/物流/包裹 are one topic), single characters dropped."""

from __future__ import annotations

from functools import cache, lru_cache
from importlib import resources

import jieba

from assistant.retrieval.tokenize import default_tokenizer
from assistant.text import fold

_STOPWORDS = resources.files("assistant.sentiment") / "data" / "stopwords.txt"


@cache
def stopwords() -> frozenset[str]:
    lines = _STOPWORDS.read_text(encoding="utf-8").splitlines()
    own = {fold(w) for w in lines if w.strip() and not w.startswith("#")}
    return frozenset(own | default_tokenizer().stopwords)


@lru_cache(maxsize=65536)
def topic_words(text: str) -> tuple[str, ...]:
    """Distinct topic words of ``text`` in order of first appearance (memoised: chat repeats
    itself — 收到, 好的, +1 — and segmentation is a third of a summary's time)."""
    tokenizer = default_tokenizer()  # registers the domain words and synonyms with jieba
    stop, synonyms = stopwords(), tokenizer.synonyms
    seen: dict[str, None] = {}
    for token in jieba.lcut(fold(text), HMM=False):
        if len(token) < 2 or token in stop or not any(ch.isalpha() for ch in token):
            continue
        seen.setdefault(synonyms.get(token, token), None)
    return tuple(seen)
