from hypothesis import example, given, settings
from hypothesis import strategies as st

from assistant.moderation.normalize import _variants, normalize

# Characters spammers mix in: Han (incl. traditional and numerals), Latin, digits, full width,
# spaces, punctuation, emoji, zero-width joiners.
CHARS = st.sampled_from(
    list("加微信薇威扣企鹅私聊刷单返利幺三八零一二五九壹貳詐騙號亻言")
    + list("vVxXwWqQjiaeinu0123456789ｖｘＱ１３８ ，。-_/|:：!?➕🐧❤\u200b")
)
MESSAGES = st.text(alphabet=CHARS, max_size=60) | st.text(max_size=60)


@settings(deadline=None)  # the first example pays one-time table loading
@given(MESSAGES)
@example("加 薇 信：幺三八零零一二三四")
def test_offsets_point_into_the_original(text: str) -> None:
    norm = normalize(text)
    assert len(norm.starts) == len(norm.ends) == len(norm.text)
    for start, end in zip(norm.starts, norm.ends, strict=True):
        assert 0 <= start < end <= len(text)
    assert list(norm.starts) == sorted(norm.starts)


@settings(deadline=None)
@given(MESSAGES)
def test_normalisation_is_idempotent(text: str) -> None:
    once = normalize(text).text
    assert normalize(once).text == once


def test_disguises_become_canonical() -> None:
    cases = {
        "加 微-信": "加微信",
        "加薇信": "加微信",
        "ｖｘ：幺三八 零零 一二三四": "微信13800 1234".replace(" ", ""),
        "➕V 私聊": "加微信私聊",
        "jia wei xin": "加微信",
        "🐧号": "qq号",
        "微亻言": "微信",
        "詐騙": "诈骗",
        "①③⑧": "138",
    }
    for posted, canonical in cases.items():
        assert normalize(posted).text == canonical, posted


def test_every_canonical_form_is_a_fixed_point() -> None:
    """A variant key inside a canonical value would rewrite it again (q群 inside qq群)."""
    canonical = {value for _, value in _variants().values()}
    assert {v: normalize(v).text for v in canonical if normalize(v).text != v} == {}


def test_ordinary_words_with_numerals_are_left_alone() -> None:
    assert normalize("等一下，三个宝宝两天").text == "等一下三个宝宝两天"


def test_span_maps_back_to_posted_text() -> None:
    posted = "快加 薇 信abc"
    norm = normalize(posted)
    begin = norm.text.index("微信")
    start, end = norm.span(begin, begin + 2)
    assert posted[start:end] == "薇 信"
