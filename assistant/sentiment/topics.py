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


#: jieba segments each run of these characters on its own; everything between is single
#: characters (punctuation, emoji), which are never topic words.
_BLOCKS = jieba.re_han_default


@lru_cache(maxsize=65536)
def topic_words(text: str) -> tuple[str, ...]:
    """Distinct topic words of ``text`` in order of first appearance (memoised: chat repeats
    itself — 收到, 好的, +1 — and segmentation is a third of a summary's time)."""
    seen: dict[str, None] = {}
    for block in _BLOCKS.findall(fold(text)):
        for word in _block_words(block):
            seen.setdefault(word, None)
    return tuple(seen)


@lru_cache(maxsize=131072)
def _block_words(block: str) -> tuple[str, ...]:
    """One block's topic words, memoised too: whole messages rarely repeat, but their phrases
    between punctuation do (早上好, 哈哈哈, 谢谢老师), and jieba cuts blocks independently."""
    tokenizer = default_tokenizer()  # registers the domain words and synonyms with jieba
    stop, synonyms = stopwords(), tokenizer.synonyms
    return tuple(synonyms.get(token, token) for token in jieba.lcut(block, HMM=False)
                 if len(token) >= 2 and token not in stop and any(ch.isalpha() for ch in token))  # fmt: skip
