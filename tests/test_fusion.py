from assistant.retrieval.fusion import reciprocal_rank_fusion


def test_items_found_by_both_retrievers_rank_first() -> None:
    fused = reciprocal_rank_fusion({"dense": ["a", "b", "c"], "lexical": ["b", "d"]})
    assert [item for item, _ in fused] == ["b", "a", "d", "c"]


def test_scores_follow_the_formula_and_weights() -> None:
    fused = dict(reciprocal_rank_fusion({"x": ["a"], "y": ["a", "b"]}, weights={"y": 2.0}, k=10))
    assert fused["a"] == 1 / 11 + 2 / 11
    assert fused["b"] == 2 / 12


def test_empty_rankings() -> None:
    assert reciprocal_rank_fusion({"dense": [], "lexical": []}) == []
