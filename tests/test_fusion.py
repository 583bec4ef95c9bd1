import pytest

from assistant.retrieval.fusion import BM25_HALF, DENSE_WEIGHT, confidence, fuse, saturate


def test_entries_found_by_both_retrievers_beat_single_ones() -> None:
    fused = fuse({"a": 0.9, "b": 0.5}, {"b": 12.0, "c": 3.0})
    assert [item for item, _ in fused] == ["b", "c", "a"]


def test_score_formula() -> None:
    fused = dict(fuse({"a": 0.5}, {"a": BM25_HALF}))
    assert fused["a"] == pytest.approx(DENSE_WEIGHT * 0.5 + 0.5)


def test_negative_cosine_and_zero_bm25_add_nothing() -> None:
    assert dict(fuse({"a": -0.4}, {"a": 0.0}))["a"] == 0.0
    assert saturate(0.0) == 0.0 and 0 < saturate(100.0) < 1


def test_confidence_is_bounded() -> None:
    assert confidence(0.0, 0.0) == 0.0
    assert confidence(1.0 + DENSE_WEIGHT, 1.0) == pytest.approx(1.0)


def test_empty_inputs() -> None:
    assert fuse({}, {}) == []
