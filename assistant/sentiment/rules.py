"""Chat conventions a review-trained model cannot know, decided before the model is asked.

Short acknowledgements (收到, 同问, +1, 好的) carry no mood: reviews never contain them and the
model reads their few characters as whatever the reviews used them for."""

from __future__ import annotations

import re
from importlib import resources

from assistant.text import fold

_FILLER = re.compile(r"[\s\W_]+")
_LIST = resources.files("assistant.sentiment") / "data" / "short_replies.txt"
SHORT_REPLIES = frozenset(
    line.strip() for line in _LIST.read_text(encoding="utf-8").splitlines() if line.strip() and line[0] != "#"
)


def short_reply(text: str) -> bool:
    folded = fold(text)
    if folded.startswith("+1") or folded in SHORT_REPLIES:
        return True
    return _FILLER.sub("", folded) in SHORT_REPLIES
