"""Reading a member's reply to our clarifying question: the options come back out of our own
text (whatever the policy's template), and short replies pick one or reject them all."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from assistant.answering.clarify import Reply, clarify_text, offered_options, read_reply
from assistant.answering.models import Turn
from assistant.answering.policy import AnsweringPolicy
from assistant.retrieval.models import SearchHit

POLICY = AnsweringPolicy()
CUSTOM = AnsweringPolicy(clarify_reply="Which one? {options} (reply with a number)")
TITLES = ["怎么申请退货？", "退款多久到账？", "退货运费谁出？"]


def _hits(titles: list[str]) -> list[SearchHit]:
    return [
        SearchHit(id=f"e{i}", kind="faq", community="c", title=t, snippet="", score=0.5, confidence=0.5, retrievers=[])
        for i, t in enumerate(titles)
    ]


def _asked(titles: list[str], policy: AnsweringPolicy = POLICY) -> list[Turn]:
    return [Turn(role="user", content="退货"), Turn(role="assistant", content=clarify_text(_hits(titles), policy))]


# Entry titles are one line (an FAQ question); anything else is fair game.
_title = st.text(min_size=1, max_size=40).filter(lambda t: not {"\n", "\r"} & set(t) and t == t.strip())


@given(st.lists(_title, min_size=1, max_size=5), st.sampled_from([POLICY, CUSTOM]))
def test_options_read_back_from_our_own_question(titles: list[str], policy: AnsweringPolicy) -> None:
    assert offered_options(clarify_text(_hits(titles), policy), policy) == titles


@pytest.mark.parametrize(
    "text",
    [
        "好的，已经帮你转人工了",
        "想确认一下，你问的是下面哪个问题？\n1. 只有一行\n回复序号就好；都不是的话我帮你转人工。",
    ],
)
def test_other_assistant_text_is_not_a_clarifying_question(text: str) -> None:
    assert offered_options(text, POLICY) is None


@pytest.mark.parametrize(
    ("reply", "chosen"),
    [
        ("2", "退款多久到账？"), ("２", "退款多久到账？"), ("第二个", "退款多久到账？"),
        ("就是第一个吧", "怎么申请退货？"), ("选3～", "退货运费谁出？"), ("3号！", "退货运费谁出？"),
        ("最后一个", "退货运费谁出？"), ("是两个 😂", None),
    ],
)  # fmt: skip
def test_a_short_reply_picks_an_offered_entry(reply: str, chosen: str | None) -> None:
    read = read_reply(reply, _asked(TITLES), POLICY)
    assert (read.chosen if read else None) == chosen
    if read:
        assert read.question == "退货"


@pytest.mark.parametrize("reply", ["都不是", "都不是哦～", "不是这个", "全都不对。", "都不是我想问的", "沒有"])
def test_none_of_them_is_read_as_such(reply: str) -> None:
    assert read_reply(reply, _asked(TITLES), POLICY) == Reply("退货", None)


def test_a_single_option_is_confirmed_by_yes() -> None:
    [title] = TITLES[:1]
    assert read_reply("是的", _asked([title]), POLICY) == Reply("退货", title)
    assert read_reply("是的", _asked(TITLES), POLICY) is None  # which one? a new question
    assert read_reply("2", _asked([title]), POLICY) is None  # no option 2


@pytest.mark.parametrize("reply", ["5", "那运费谁出？", "退款多久到账", "第二个问题里说的运费险在哪买"])
def test_anything_else_is_a_new_question(reply: str) -> None:
    assert read_reply(reply, _asked(TITLES), POLICY) is None


def test_only_the_last_turn_counts_and_only_ours() -> None:
    asked = _asked(TITLES)
    crlf = [asked[0], Turn(role="assistant", content=asked[1].content.replace("\n", "\r\n"))]
    assert read_reply("2", crlf, POLICY) == Reply("退货", TITLES[1])
    assert read_reply("2", [*asked, Turn(role="user", content="？")], POLICY) is None
    assert read_reply("2", asked, CUSTOM) is None  # another template: not our question
    assert read_reply("2", [], POLICY) is None
