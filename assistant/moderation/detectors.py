"""The checks a moderator runs, as a list of named, typed detectors (umputun/tg-spam's shape):
each takes normalised messages and returns one ``Check`` per message, saying what kind of
evidence it is. The engine combines them by kind; drafting can hand in its own list."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from assistant.moderation import patterns
from assistant.moderation.classifier import RISKY, TextClassifier
from assistant.moderation.lexicon import COUNTER_SPEECH, Lexicon, counter_speech
from assistant.moderation.lexicon import NAME as LEXICON
from assistant.moderation.models import Check, DetectorKind
from assistant.moderation.normalize import Normalized
from assistant.moderation.policy import Policy


class Detector(Protocol):
    @property
    def name(self) -> str: ...

    @property
    def kind(self) -> DetectorKind: ...

    @property
    def quotable(self) -> bool:
        """Finds words a warning may quote (terms, request phrases), unlike identifiers and links."""
        ...

    def check_many(self, norms: Sequence[Normalized]) -> list[Check]: ...


@dataclass(frozen=True)
class RuleDetector:
    """A detector that looks at one message at a time."""

    name: str
    check: Callable[[Normalized], Check]
    kind: DetectorKind = "rule"
    quotable: bool = False

    def check_many(self, norms: Sequence[Normalized]) -> list[Check]:
        return [self.check(norm) for norm in norms]


#: Normalised characters above which a post is also scored per sentence (chat lines are shorter).
LONG_POST = 30
#: Heads that take a sentence's score: an attack on a group or a person is one sentence of an argument.
SENTENCE_HEADS = ("hate", "abuse")
HATE = "hate"


@dataclass(frozen=True)
class ClassifierDetector:
    """A trained classifier, scoring a whole batch in one call."""

    name: str
    model: TextClassifier
    policy: Policy
    kind: DetectorKind = "model"
    quotable: bool = False

    def check_many(self, norms: Sequence[Normalized]) -> list[Check]:
        """A post longer than ``LONG_POST`` is also scored by its sentences and runs of clauses
        (``Normalized.parts``): one derogatory sentence inside a long argument is diluted in the
        whole post's n-gram vector (COLD dev F1 0.674 → 0.685 when every head took its parts'
        scores; no change on short chat). Only the heads of attacks (``SENTENCE_HEADS``) do: an
        ad or a scam is the whole post, and a sentence of a group's rules (「禁止发广告、拉人进群」)
        read alone looked like spam (then shipped: COLD dev F1 0.673)."""
        rows: list[str] = []
        owners: list[int] = []
        for norm in norms:
            owners.append(len(rows))
            rows.append(norm.text)
            if len(norm.text) > LONG_POST:
                parts = norm.parts()
                if len(parts) > 1:
                    rows += parts
        try:
            probs = scored = self.model.predict_normalized(rows)
            if len(rows) > len(norms):
                probs = scored[owners]
                self._lift_by_parts(probs, scored, owners)
        except Exception as exc:  # noqa: BLE001 - a broken model is reported, never taken as "clean"
            return [Check(name=self.name, kind="model", flagged=False, error=f"{type(exc).__name__}: {exc}")
                    for _ in norms]  # fmt: skip
        labels_all = self.model.labels
        risky_col = labels_all.index(RISKY)
        cats = [i for i, lab in enumerate(labels_all) if lab != RISKY]
        risky = probs[:, risky_col]
        # A category is no likelier than "risky at all": the heads for rare categories fire on
        # short benign chat that the risky head, trained on every example, rejects.
        labels = [labels_all[i] for i in cats]
        caps = np.repeat(risky[:, None], len(cats), axis=1)
        if HATE in labels:
            caps[:, labels.index(HATE)] = self._group_hate_cap(probs[:, labels_all.index(HATE)], risky, norms)
        capped = np.round(np.minimum(probs[:, cats], caps), 4)
        # Plain lists: per-row numpy calls cost more than the 14 numbers they handle.
        return [self._check(labels, row, r) for row, r in zip(capped.tolist(), risky.tolist(), strict=True)]

    @staticmethod
    def _group_hate_cap(hate: np.ndarray, risky: np.ndarray, norms: Sequence[Normalized]) -> np.ndarray:
        """The hate head's ceiling: the risky score, or on a message that names a group the geometric
        mean of both heads' scores when higher. Implicit group hate (stereotypes, 「又是X地的，难怪」)
        is taught to the hate head alone (``LabelledMessage.heads`` in data/train/part20.jsonl), so
        the risky head, which caps fraud or self-harm too, is unchanged and often misses it; the mean
        lets a sure hate head lift a doubtful risky one, but not flag on its own opinion a neutral
        question about a group (「X人过年都吃什么」: hate 0.56, risky 0.26). Text naming no group
        stays capped like every other head."""
        naming = np.fromiter((patterns.names_a_group(norm.text) for norm in norms), dtype=bool, count=len(norms))
        return np.where(naming, np.maximum(risky, np.sqrt(hate * risky)), risky)  # type: ignore[no-any-return]

    def _lift_by_parts(self, probs: np.ndarray, scored: np.ndarray, owners: list[int]) -> None:
        """In place: each attack head takes its best score over a post's parts, and the risky head
        as much of its part score as those heads support."""
        labels = self.model.labels
        heads = [labels.index(h) for h in SENTENCE_HEADS if h in labels]
        if not heads:
            return
        risky_col = labels.index(RISKY)
        best = np.maximum.reduceat(scored[:, heads], owners, axis=0)
        supported = np.minimum(scored[:, risky_col], scored[:, heads].max(axis=1))
        probs[:, heads] = np.maximum(probs[:, heads], best)
        probs[:, risky_col] = np.maximum(probs[:, risky_col], np.maximum.reduceat(supported, owners))

    def _check(self, labels: list[str], row: list[float], risky: float) -> Check:
        scores = {label: p for label, p in zip(labels, row, strict=True) if p >= 0.05}
        likeliest = max(row, default=0.0)
        if not labels and risky >= 0.05:
            scores["other"] = round(risky, 4)  # a model trained without categories
        elif risky >= 0.5 and likeliest < self.policy.threshold:
            # Risky but no category head is sure: the likeliest category gets the mean of both
            # opinions. Carrying the risky score alone let a head that over-weighs single
            # characters (你, 那) flag plain service questions at p ≥ 0.9.
            scores[labels[row.index(likeliest)]] = round((risky + likeliest) / 2, 4)
        flagged = any(p >= self.policy.threshold_for(c) for c, p in scores.items())
        return Check(name=self.name, kind="model", flagged=flagged, scores=scores, evidence=[], error=None)


#: Warnings and reports (别信, 群规, 已举报): run only when something else is suspicious.
COUNTER_SPEECH_DETECTOR = RuleDetector(COUNTER_SPEECH, counter_speech, kind="context")


def standard(policy: Policy, lexicon: Lexicon, classifiers: Mapping[str, TextClassifier]) -> list[Detector]:
    """The built-in list: lexicon, identifiers and links, request phrases, the classifiers."""
    detectors: list[Detector] = [
        RuleDetector(LEXICON, lexicon.check, quotable=True),
        RuleDetector(patterns.NAME, patterns.check),
        RuleDetector(patterns.NAME_PHRASES, patterns.check_phrases, quotable=True),
    ]
    detectors += [ClassifierDetector(name, model, policy) for name, model in classifiers.items()]
    return detectors
