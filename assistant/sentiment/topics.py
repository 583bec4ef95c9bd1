"""Topic words of a chat message: jieba words minus the community stop list, synonyms mapped
onto one word (快递/物流/包裹 are one topic), single characters dropped — and the compounds
jieba does not know (猫粮 cut into 猫/粮, 软便 into 软/便), kept apart as candidates."""

from __future__ import annotations

from functools import cache, lru_cache
from importlib import resources
from typing import NamedTuple

import jieba

from assistant.retrieval.tokenize import default_tokenizer
from assistant.text import fold

_STOPWORDS = resources.files("assistant.sentiment") / "data" / "stopwords.txt"

#: Characters that join words rather than name a thing — negation, adverbs, pronouns, measure
#: words, numerals, the commonest verbs — never half of a compound (这/批, 吃/完, 又/坏).
_GLUE = frozenset(
    "不很太更最又再也就才都还只并被把给让对向从到为以而且之其此该每各这那哪些某个件条次批袋包盒瓶颗天年月日号周"
    "点下上中里外前后一二三四五六七八九十百千万两几多少半整全刚已曾正将吃喝用买看说做去来走拿穿放想要会能可叫是有没"
    "在了着过的得地吗呢吧啊呀哦嗯哈嘛啦喔噢"
)


class TopicTerms(NamedTuple):
    """A message's topic words, and the compounds of adjacent single characters it holds:
    those name a topic only when they recur in a window's complaints (``Window.complaints``)."""

    words: tuple[str, ...]
    compounds: tuple[str, ...]


@cache
def stopwords() -> frozenset[str]:
    lines = _STOPWORDS.read_text(encoding="utf-8").splitlines()
    own = {fold(w) for w in lines if w.strip() and not w.startswith("#")}
    return frozenset(own | default_tokenizer().stopwords)


@cache
def _glue() -> frozenset[str]:
    return _GLUE | {w for w in stopwords() if len(w) == 1}


#: jieba segments each run of these characters on its own; everything between is single
#: characters (punctuation, emoji), which are never topic words.
_BLOCKS = jieba.re_han_default


@lru_cache(maxsize=65536)
def topic_terms(text: str) -> TopicTerms:
    """Distinct topic words and compounds of ``text`` in order of first appearance (memoised:
    chat repeats itself — 收到, 好的, +1 — and segmentation is a third of a summary's time)."""
    words: dict[str, None] = {}
    compounds: dict[str, None] = {}
    for block in _BLOCKS.findall(fold(text)):
        found_words, found_compounds = _block_terms(block)
        words.update(dict.fromkeys(found_words))
        compounds.update(dict.fromkeys(found_compounds))
    return TopicTerms(tuple(words), tuple(compounds))


@lru_cache(maxsize=131072)
def _block_terms(block: str) -> TopicTerms:
    """One block's topic terms, memoised too: whole messages rarely repeat, but their phrases
    between punctuation do (早上好, 哈哈哈, 谢谢老师), and jieba cuts blocks independently."""
    tokenizer = default_tokenizer()  # registers the domain words and synonyms with jieba
    stop, synonyms, glue = stopwords(), tokenizer.synonyms, _glue()
    words: dict[str, None] = {}
    compounds: dict[str, None] = {}
    before = ""  # the previous token when it is a single character that can start a compound
    for token in jieba.lcut(block, HMM=False):
        if len(token) >= 2:
            if token not in stop and any(ch.isalpha() for ch in token):
                words.setdefault(synonyms.get(token, token), None)
            before = ""
        elif token in glue or token.isascii() or not token.isalpha():
            before = ""
        else:
            if before and (pair := before + token) not in stop:
                compounds.setdefault(synonyms.get(pair, pair), None)
            before = token
    return TopicTerms(tuple(words), tuple(compounds))
