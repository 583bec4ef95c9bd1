"""The lexicon columns read scope: negation flips the next polarity word of its clause, a contrast
word halves what came before it, masks keep 好的 and 差不多 out, quoted praise is irony."""

from __future__ import annotations

from pathlib import Path

import ahocorasick
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from assistant.sentiment.lexicon import Lexicon, builtin_lexicon, leftmost_longest
from assistant.text import fold


def polarity(text: str) -> tuple[float, float]:
    return builtin_lexicon().polarity(fold(text))


def test_polarity_words_count_on_their_side() -> None:
    assert polarity("房间干净，服务周到")[0] > 0 == polarity("房间干净，服务周到")[1]
    assert polarity("又贵又难吃")[1] > 0 == polarity("又贵又难吃")[0]
    assert polarity("明天下午三点开会") == (0.0, 0.0)


def test_a_negator_flips_the_next_polarity_word_in_its_clause_only() -> None:
    assert polarity("不好用") == (0.0, polarity("好用")[0])
    positive, negative = polarity("没有乱七八糟的广告")  # 没有 reaches 乱七八糟, not the 广告 after it
    assert positive > negative > 0
    assert polarity("不太好用")[1] < polarity("不好用")[1]  # 不太 is softer than 不
    assert polarity("没有，干净")[0] == polarity("干净")[0]  # the comma ends the negator's clause


def test_a_contrast_word_halves_what_came_before_it() -> None:
    positive, negative = polarity("虽然位置不错，但是房间太脏了")
    assert negative > positive > 0
    assert positive == pytest.approx(polarity("位置不错")[0] / 2)


def test_masks_and_degree_words() -> None:
    assert polarity("好的，收到") == polarity("差不多吧") == (0.0, 0.0)
    assert polarity("非常干净")[0] > polarity("干净")[0]
    assert polarity("不错")[0] > 0  # one word, not 不 + 错


def test_quoted_praise_is_irony() -> None:
    assert polarity("真是“贴心”")[1] > 0 == polarity("真是“贴心”")[0]
    assert polarity("真是「耐用」啊")[1] > 0


def test_columns_are_log_masses_one_row_per_text() -> None:
    columns = builtin_lexicon().columns([fold(t) for t in ["干净", "", "太差"]])
    assert columns.shape == (3, 2)
    assert np.allclose(columns[1], 0) and columns[0, 0] > 0 and columns[2, 1] > 0


def test_a_bad_lexicon_line_names_its_line(tmp_path: Path) -> None:
    bad = tmp_path / "lexicon.txt"
    bad.write_text("# ok\n好 pos\n坏 bad\n", encoding="utf-8")
    with pytest.raises(ValueError, match="lexicon.txt:3"):
        Lexicon(bad)


def test_question_forms_negate_nothing() -> None:
    assert polarity("值不值")[1] == 0 < polarity("值不值")[0]  # X不X asks, it does not deny
    assert polarity("谁不想给个好评")[1] == 0  # a rhetorical 谁不 affirms


def brute_longest(terms: set[str], text: str) -> list[tuple[int, str]]:
    """The definition: from each free position, the longest term starting there, else move on."""
    found, i = [], 0
    while i < len(text):
        term = max((t for t in terms if text.startswith(t, i)), key=len, default=None)
        if term is None:
            i += 1
        else:
            found.append((i, term))
            i += len(term)
    return found


TERMS = st.sets(st.text("参差不齐好", min_size=1, max_size=4), min_size=1, max_size=6)


@given(TERMS, st.text("参差不齐好", max_size=12))
def test_matches_are_leftmost_longest_even_where_iter_long_drops_one(terms: set[str], text: str) -> None:
    automaton = ahocorasick.Automaton()
    for term in terms:
        automaton.add_word(term, ("pos", 1.0, len(term)))
    automaton.make_automaton()
    found = [(start, text[start : end + 1]) for start, end, _ in leftmost_longest(automaton, text)]
    assert found == brute_longest(terms, text)


def test_a_term_inside_a_longer_one_counts_at_the_end_of_a_text() -> None:
    assert polarity("质量参差")[1] > 0  # 参差不齐 is a term too; iter_long finds nothing here
