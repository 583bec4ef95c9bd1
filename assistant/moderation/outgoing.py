"""What may not go out in a community's own name (curated answers, knowledge entries).

A member's message is judged by the whole engine; text the community itself sends is judged
by what it *carries*: contact details, links, card or ID numbers that are not the community's
own, requests for verification codes or money, and rule-backed terms of the categories no
answer may touch. Classifier-only suspicion does not stop curated text: the full engine's
classifier flags 50 of the 257 sample entries (refund, payment, account wording), while a
poisoned answer always carries one of these rule findings."""

from __future__ import annotations

from collections.abc import Iterable

from assistant.moderation import patterns
from assistant.moderation.lexicon import NAME as LEXICON
from assistant.moderation.models import Evidence, Verdict
from assistant.text import fold

#: Categories whose rule-backed terms never belong in an answer or a knowledge entry.
NEVER_SENT = frozenset({"politics", "sexual", "violence", "illegal", "hate", "abuse", "infringement", "self_harm"})
#: A lexicon category at or above this is a full-weight term, not a word needing company.
FULL_WEIGHT = 0.7


def blockers(verdict: Verdict, own_contacts: Iterable[str] = ()) -> list[Evidence]:
    """Evidence that stops the text; empty when it may be sent."""
    own = [fold(c) for c in own_contacts if c.strip()]
    found = []
    for check in verdict.checks:
        for evidence in check.evidence:
            if check.name == patterns.NAME:
                posted = fold(evidence.text)
                if not any(c in posted or posted in c for c in own):
                    found.append(evidence)
            elif check.name == patterns.NAME_PHRASES or (
                check.name == LEXICON
                and evidence.category in NEVER_SENT
                and check.scores.get(evidence.category, 0.0) >= FULL_WEIGHT
            ):
                found.append(evidence)
    return found


def describe(found: list[Evidence]) -> str:
    """One line for a handoff reason or an ingest error: ``category (rule 「text」), …``."""
    return ", ".join(dict.fromkeys(f"{e.category} ({e.rule} 「{e.text[:30]}」)" for e in found))
