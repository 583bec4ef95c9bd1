from hypothesis import given, settings
from hypothesis import strategies as st

from assistant.text import char_pinyin, fold


def test_fold_handles_width_script_and_case() -> None:
    assert fold("ＶＩＰ會員  退款到帳了嗎？") == "vip会员 退款到帐了吗?"


@settings(deadline=None)
@given(st.text(max_size=200))
def test_fold_is_idempotent(text: str) -> None:
    once = fold(text)
    assert fold(once) == once


def test_char_pinyin_is_toneless_and_empty_for_non_han() -> None:
    assert [char_pinyin(c) for c in "优惠券a1"] == ["you", "hui", "quan", "", ""]
