"""Asking a member which entry they mean, and reading their reply.

A bot keeps no state for us: the next request carries the conversation, so the options are
read back from our own clarifying question in the history. The question promises "回复序号就好；
都不是的话我帮你转人工", and the reply keeps that promise: "2", "第二个", "就是第一个", a plain
"是的" to a single option, or "都不是" (a person takes over). Anything longer is a new question."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from assistant.answering.models import Turn
from assistant.answering.policy import AnsweringPolicy
from assistant.retrieval.models import SearchHit
from assistant.text import fold

_NUMBERED = re.compile(r"^(\d+)\. (.+)$")
_SINGLE = re.compile(r"^「(.+)」$")
#: Punctuation, spaces, emoji and sentence particles around a short reply.
_NOISE = re.compile(r"[\s,.!?~…。，！？～、\-—_·:：;；()（）\[\]【】\"'“”‘’]|[^\u0000-\uffff]|[\u2600-\u27bf]")
_PARTICLES = re.compile(r"(吧|啊|呀|哈|哦|噢|呢|的|啦|嘛|了|哟)+$")
_CHINESE_DIGITS = {"一": 1, "二": 2, "三": 3, "四": 4, "五": 5}
_CHOICE = re.compile(
    r"^(?:就是|是|选|我选|要|我要|我问的是|问的是|我想问)?第?([1-5一二三四五])(?:个|条|项|号|种)?(?:问题)?$"
)
_LAST = re.compile(r"^(?:就是|是|选|我选|我问的是)?最后(?:一个|一条|那个)(?:问题)?$")
_YES = re.compile(r"^(?:是|是的|对|对的|对对|嗯|嗯嗯|没错|就是|就是这个|是这个|就这个|对就是这个|yes|ok|好)$")
_NONE = re.compile(
    r"^(?:都|全都|好像都|其实都|也)?(?:不是|不对|没有|不太对)(?:这个|这些|这几个|上面这些|我问|我要问|我想问|我要找)?$"
    r"|^(?:别的问题|其他问题|其它问题|no|none)$"
)


def clarify_text(hits: Sequence[SearchHit], policy: AnsweringPolicy) -> str:
    """The clarifying question: one entry as 「title」, several as a numbered list."""
    if len(hits) == 1:
        options = f"「{hits[0].title}」"
    else:
        options = "\n".join(f"{i}. {h.title}" for i, h in enumerate(hits, start=1))
    return policy.clarify_reply.replace("{options}", options)


def offered_options(text: str, policy: AnsweringPolicy) -> list[str] | None:
    """The entry titles a clarifying question of ours offered; None if ``text`` is not one."""
    prefix, _, suffix = policy.clarify_reply.partition("{options}")
    text = text.replace("\r\n", "\n").strip()  # a bot may have echoed it with CRLF
    if not (text.startswith(prefix.strip()) and text.endswith(suffix.strip())):
        return None
    block = text[len(prefix.strip()) : len(text) - len(suffix.strip())].strip()
    single = _SINGLE.match(block)  # "." stops at a newline: a list never matches
    if single:
        return [single.group(1)]
    lines = [_NUMBERED.match(line.strip()) for line in block.split("\n")]
    if len(lines) < 2 or any(m is None or int(m.group(1)) != i for i, m in enumerate(lines, start=1)):
        return None
    return [m.group(2) for m in lines if m is not None]


@dataclass(frozen=True)
class Reply:
    """A member's reply to our clarifying question."""

    question: str = ""
    """What the member asked before we asked back."""
    chosen: str | None = None
    """Title of the entry the member picked; None: none of the offered entries fits."""


def read_reply(reply: str, history: Sequence[Turn], policy: AnsweringPolicy) -> Reply | None:
    """The member's pick among the options our last turn offered, or their "none of them";
    None when the last turn was not our clarifying question or the reply is a new question."""
    if not history or history[-1].role != "assistant":
        return None
    options = offered_options(history[-1].content, policy)
    if options is None:
        return None
    asked = next((t.content for t in reversed(history[:-1]) if t.role == "user"), "")
    short = _PARTICLES.sub("", _NOISE.sub("", fold(reply)))
    if _NONE.match(short):
        return Reply(asked, None)
    choice = _choice(short, len(options))
    return Reply(asked, options[choice - 1]) if choice else None


def _choice(reply: str, count: int) -> int | None:
    """1-based option number the reply names, if it names one that was offered."""
    if count == 1 and _YES.match(reply):
        return 1
    if _LAST.match(reply):
        return count
    match = _CHOICE.match(reply)
    if not match:
        return None
    digit = match.group(1)
    number = int(digit) if digit.isdigit() else _CHINESE_DIGITS[digit]
    return number if 1 <= number <= count else None
