"""Every suite the runner knows, by name (``shequn eval all`` runs them in this order)."""

from __future__ import annotations

from typing import Any

from evals import answers, drafts, retrieval, sentiment, summaries
from evals.moderation import EVASION, MODERATION
from evals.suite import Suite

SUITES: dict[str, Suite[Any]] = {
    s.name: s
    for s in (
        retrieval.SUITE,
        answers.SUITE,
        answers.REPLAYED,
        MODERATION,
        EVASION,
        drafts.SUITE,
        sentiment.SUITE,
        summaries.SUITE,
    )
}
