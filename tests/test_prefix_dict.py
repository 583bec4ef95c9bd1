"""The lazily opened prefix dictionary segments exactly like jieba's fully loaded one."""

from pathlib import Path

import jieba
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from assistant.retrieval import prefix_dict
from assistant.retrieval.prefix_dict import PrefixDict, install

TEXTS = st.text(
    alphabet=st.sampled_from(list("宝奶粉怎么退货运费谁出优惠券积分会员课程回放发票打卡活动的了吗呢，。 ab12")),
    max_size=40,
)


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("jieba")
    install(jieba.Tokenizer(), path)  # the first run on a machine builds the table
    return path


@pytest.fixture(scope="module")
def full() -> jieba.Tokenizer:
    tokenizer = jieba.Tokenizer()
    tokenizer.initialize()
    return tokenizer


@pytest.fixture(scope="module")
def shared_lazy(folder: Path) -> jieba.Tokenizer:
    tokenizer = jieba.Tokenizer()
    install(tokenizer, folder)
    return tokenizer


@pytest.fixture()
def lazy(folder: Path) -> jieba.Tokenizer:
    tokenizer = jieba.Tokenizer()
    install(tokenizer, folder)
    return tokenizer


@settings(deadline=None, max_examples=60)
@given(TEXTS)
def test_lazy_segmentation_equals_full(full: jieba.Tokenizer, shared_lazy: jieba.Tokenizer, text: str) -> None:
    assert isinstance(shared_lazy.FREQ, PrefixDict)
    assert list(shared_lazy.cut_for_search(text, HMM=False)) == list(full.cut_for_search(text, HMM=False))
    assert list(shared_lazy.cut(text)) == list(full.cut(text))


def test_words_added_at_run_time_survive_the_full_load(lazy: jieba.Tokenizer) -> None:
    lazy.add_word("挑战赛打卡", freq=2000)
    assert "挑战赛打卡" in list(lazy.cut("参加挑战赛打卡", HMM=False))
    assert isinstance(lazy.FREQ, PrefixDict)
    lazy.FREQ.load_all()
    assert type(lazy.FREQ) is dict  # bulk lookups go straight to the dict
    assert "挑战赛打卡" in list(lazy.cut("参加挑战赛打卡", HMM=False))
    assert lazy.FREQ["挑战赛打卡"] == 2000 and lazy.FREQ.get("挑战赛打") == 0


def test_moves_into_memory_after_many_lookups(lazy: jieba.Tokenizer, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(prefix_dict, "FULL_LOAD_AFTER", 20)
    freq = lazy.FREQ
    assert isinstance(freq, PrefixDict) and not freq.in_memory
    list(lazy.cut("我想问一下宝宝的奶粉怎么退货，运费是谁出的呀", HMM=False))
    assert freq.in_memory and type(lazy.FREQ) is dict and lazy.FREQ.get("宝宝", 0) > 0


def test_first_run_keeps_the_table_it_built(tmp_path: Path) -> None:
    tokenizer = jieba.Tokenizer()
    prefix = install(tokenizer, tmp_path)
    assert prefix.in_memory and type(tokenizer.FREQ) is dict
    assert tokenizer.total == prefix.total > 0
