"""What members keep asking that the knowledge base does not answer.

Questions that ended in a handoff or a clarifying question are clustered by meaning (the
index's own embedding, average-linkage cosine clustering); each cluster large enough becomes a
suggested FAQ entry — its most central question, the other phrasings as ``similar``, and the
entries it was confused with — for an operator to review and complete with an answer."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

import numpy as np
from pydantic import BaseModel, Field
from sklearn.cluster import AgglomerativeClustering

from assistant.retrieval.embedding import Embedder
from assistant.retrieval.tokenize import Tokenizer
from assistant.store.question_log import LoggedQuestion

#: Cosine distance under which two questions are taken to ask the same thing.
MAX_DISTANCE = 0.55
#: Most phrasings listed per suggestion.
MAX_SIMILAR = 8


class SuggestedEntry(BaseModel):
    question: str
    similar: list[str]
    answer: str = Field("", description="Left empty: only an operator knows the answer.")
    tags: list[str]


class Gap(BaseModel):
    community: str | None
    count: int = Field(description="Questions in the cluster.")
    decisions: dict[str, int] = Field(
        description="How they ended: handoff, clarify, or chosen (asked back, the member picked an entry)."
    )
    closest_entries: list[str] = Field(
        description="Entries retrieval offered most often: if one fits, add phrasings to it instead."
    )
    suggested: SuggestedEntry
    first_asked: str
    last_asked: str


def find_gaps(
    rows: Sequence[LoggedQuestion], embedder: Embedder, tokenizer: Tokenizer, min_count: int = 2
) -> list[Gap]:
    """Clusters per community, biggest first; clusters under ``min_count`` are noise."""
    by_community: dict[str | None, list[LoggedQuestion]] = {}
    for row in rows:
        by_community.setdefault(row.community, []).append(row)
    gaps = [
        gap
        for community, members in by_community.items()
        for gap in _cluster(community, members, embedder, tokenizer)
        if gap.count >= min_count
    ]
    return sorted(gaps, key=lambda g: (-g.count, g.last_asked))


def _cluster(community: str | None, rows: list[LoggedQuestion], embedder: Embedder, tokenizer: Tokenizer) -> list[Gap]:
    vectors = embedder.embed([r.question for r in rows])
    if len(rows) == 1:
        labels = np.zeros(1, dtype=int)
    else:
        model = AgglomerativeClustering(
            n_clusters=None, metric="cosine", linkage="average", distance_threshold=MAX_DISTANCE
        )
        labels = model.fit_predict(vectors)
    gaps = []
    for label in np.unique(labels):
        index = np.flatnonzero(labels == label)
        members = [rows[i] for i in index]
        central = _medoid(vectors[index])
        phrasings = list(dict.fromkeys(r.question.strip() for r in members))
        head = members[central].question.strip()
        words: Counter[str] = Counter()
        for r in members:
            words.update({w: tokenizer.weight(w) for w in set(tokenizer.words(r.question)) if len(w) > 1})
        times = sorted(r.at.isoformat(timespec="seconds") for r in members)
        gaps.append(
            Gap(
                community=community,
                count=len(members),
                decisions=dict(Counter(r.decision for r in members)),
                closest_entries=[e for e, _ in Counter(c for r in members for c in r.candidates[:1]).most_common(3)],
                suggested=SuggestedEntry(
                    question=head,
                    similar=[p for p in phrasings if p != head][:MAX_SIMILAR],
                    tags=[w for w, _ in words.most_common(3)],
                ),
                first_asked=times[0],
                last_asked=times[-1],
            )
        )
    return gaps


def _medoid(vectors: np.ndarray) -> int:
    """The member closest on average to the others (vectors are L2-normalised)."""
    return int(np.argmax((vectors @ vectors.T).sum(axis=1)))
