"""Fusing ranked lists from several retrievers into one ranking."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

#: Cormack et al. (2009) found k=60 robust; it damps the gap between rank 1 and rank 2.
RRF_K = 60


def reciprocal_rank_fusion(
    rankings: Mapping[str, Sequence[str]],
    weights: Mapping[str, float] | None = None,
    k: int = RRF_K,
) -> list[tuple[str, float]]:
    """Items by Σ weight / (k + rank) over the retrievers that found them, best first.

    Ties keep the order in which items were first seen, so results are deterministic."""
    scores: dict[str, float] = {}
    for name, ranking in rankings.items():
        weight = (weights or {}).get(name, 1.0)
        for rank, item in enumerate(ranking, start=1):
            scores[item] = scores.get(item, 0.0) + weight / (k + rank)
    return sorted(scores.items(), key=lambda kv: -kv[1])
