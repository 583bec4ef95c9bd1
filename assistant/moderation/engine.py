"""Runs every check on a message and turns their findings into one explained verdict.

Hard rules (lexicon, patterns) and the classifier each give category scores; evidence is
combined by noisy-OR (two independent weak signals add up, one strong one decides). A check
that fails is listed with its error and can only make the verdict stricter: a message is never
called clean because something broke."""

from __future__ import annotations

import json
import logging
import threading
from collections import OrderedDict
from collections.abc import Sequence
from functools import cache
from importlib import resources
from pathlib import Path

from assistant.clock import Clock, utc_now
from assistant.communities import Communities, inside
from assistant.listing import stamps
from assistant.llm import make_chat_model
from assistant.llm.base import ChatModel
from assistant.memory import gc_paused
from assistant.moderation.adjudicator import adjudicate, is_grey
from assistant.moderation.classifier import ModelFileError, TextClassifier
from assistant.moderation.detectors import COUNTER_SPEECH_DETECTOR, Detector, standard
from assistant.moderation.lexicon import (
    COUNTER_SPEECH_CATEGORIES,
    COUNTER_SPEECH_DISCOUNT,
    Lexicon,
)
from assistant.moderation.models import Action, Check, Evidence, Severity, Source, Verdict
from assistant.moderation.normalize import Normalized, normalize
from assistant.moderation.policy import Policy, harsher, severity_of
from assistant.prompts import Prompt, load_prompt
from assistant.settings import Settings

#: Below this no score can reach a threshold, so there is nothing for a warning to discount.
COUNTER_SPEECH_MIN = 0.2
#: Communities whose moderator (lexicon automaton, policy, model) stays in memory.
CACHED_MODERATORS = 64
#: Rule evidence that lets a category take its full action (delete): one full-weight term or
#: pattern, or two weak terms; a single weak term (垃圾, weight 0.4 → 0.2) is not enough.
RULE_EVIDENCE = 0.35
#: Score a category only the classifier suspects needs beside one that rule evidence establishes:
#: the category heads spill into neighbours (a sexual-services ad's 私聊 reads as spam_ads, a
#: politics insult as hate), and the rules already say what the message is. Chosen on the own
#: moderation and evasion suites (macro-F1 +0.01 on each, no risky message lost).
SECOND_CATEGORY = 0.8
#: Harms sold through a contact: beside one of these that rule evidence establishes, the 私聊 / 加微信 /
#: link of the same message is how the goods reach a buyer, not a second harm (an ad for sex, drugs,
#: weapons or pirated courses is judged by what it sells). Fraud keeps its spam_ads: a scam that lures
#: people off the group to a contact is both (the suite's labels and design.md's 刷单返利 agree).
SOLD_THROUGH_CONTACT = frozenset({"sexual", "illegal", "violence", "self_harm", "politics", "infringement"})
BUILTIN_MODEL = Path(str(resources.files("assistant.moderation") / "data" / "builtin.npz"))
#: Models saved before the .npz format were pickles: never loaded (a pickle can run code).
PICKLED_SUFFIX = ".joblib"
log = logging.getLogger(__name__)


@cache
def builtin_classifier() -> TextClassifier:
    return TextClassifier.load(BUILTIN_MODEL)


def community_classifiers(communities: Communities, community: str | None) -> dict[str, TextClassifier]:
    """A community's own trained model replaces the generic one; an old pickled model or an
    unreadable file is reported and the generic model used instead."""
    if community:
        path = communities.model_path(community)
        if path.exists():
            try:
                return {f"classifier:{community}": TextClassifier.load(path)}
            except ModelFileError as exc:
                log.warning(
                    "community %s: its trained model was not loaded (%s); using the built-in one", community, exc
                )
        elif path.with_suffix(PICKLED_SUFFIX).exists():
            log.warning(
                "community %s: ignoring its old .joblib model (pickle files can run code and are never loaded); "
                "retrain it with `shequn moderation train --community %s`",
                community, community,
            )  # fmt: skip
    return {"classifier": builtin_classifier()}


class Moderator:
    """One community's configured engine; build once, call from many threads."""

    def __init__(
        self,
        policy: Policy,
        classifiers: dict[str, TextClassifier],
        llm: ChatModel | None = None,
        prompt: Prompt | None = None,
        community: str | None = None,
        detectors: Sequence[Detector] | None = None,
    ) -> None:
        """``detectors`` replaces the standard list (lexicon, patterns, phrases, ``classifiers``)."""
        self.policy = policy
        self.lexicon = Lexicon.build(policy.keywords, policy.allow)
        self.classifiers = classifiers
        self.detectors = list(detectors) if detectors is not None else standard(policy, self.lexicon, classifiers)
        self._quotable = frozenset(d.name for d in self.detectors if d.quotable)
        self.llm, self.prompt, self.community = llm, prompt, community

    @classmethod
    def for_community(cls, communities: Communities, community: str | None, llm: ChatModel | None = None) -> Moderator:
        """Hard rules always run; a community's own trained model replaces the generic one.

        Measured on COLD (train on one half, test on the other): rules + community model
        F1 0.83, but 0.74 with the generic model added, whose idea of risk comes from other
        groups and flagged much of what that community considers fine."""
        classifiers = community_classifiers(communities, community)
        prompt = load_prompt(communities.settings.prompts_dir, "moderation", 1) if llm is not None else None
        return cls(communities.moderation_policy(community), classifiers, llm, prompt, community)

    def moderate(self, text: str, source: Source = "member") -> Verdict:
        return self.moderate_many([text], source)[0]

    def moderate_many(self, texts: Sequence[str], source: Source = "member") -> list[Verdict]:
        """Batched: normalises once and scores every text with each classifier in one call."""
        with gc_paused():
            return self._moderate_many(texts, source)

    def _moderate_many(self, texts: Sequence[str], source: Source) -> list[Verdict]:
        norms = [normalize(t) for t in texts]
        per_detector = [d.check_many(norms) for d in self.detectors]
        verdicts = []
        for i, norm in enumerate(norms):
            checks = [found[i] for found in per_detector]
            if any(score >= COUNTER_SPEECH_MIN for check in checks for score in check.scores.values()):
                checks += COUNTER_SPEECH_DETECTOR.check_many([norm])  # only worth scanning when something is suspicious
            verdicts.append(self._verdict(norm, checks, source))
        return verdicts

    def _verdict(self, norm: Normalized, checks: list[Check], source: Source) -> Verdict:
        warning = any(c.kind == "context" and c.flagged for c in checks)
        combined = _noisy_or(checks, warning, self._quotable)
        engine = "offline"
        hard = _hard_categories(checks, warning, self._quotable)
        if self.llm is not None and self.prompt is not None and is_grey(combined, hard):
            findings = "; ".join(e.rule for c in checks for e in c.evidence)[:500]
            opinion = adjudicate(self.llm, self.prompt, norm.original, self.community, combined, findings)
            checks = [*checks, opinion]
            if opinion.error:
                engine = "llm→offline"
            else:
                engine = "llm"
                for category, score in opinion.scores.items():
                    if score >= 1.0 or category not in hard:  # confirm anything; veto only soft suspicions
                        combined[category] = score if score >= 1.0 else min(combined[category], score)
        return self._decide(norm, checks, combined, engine, source)

    def _decide(
        self, norm: Normalized, checks: list[Check], combined: dict[str, float], engine: str, source: Source
    ) -> Verdict:
        ignored = self.policy.ignored(source)
        ruled = rule_scores(checks)
        flagged = sorted(
            (c for c, score in combined.items()
             if c not in ignored and score >= self.policy.threshold_for(c, model_only=c not in ruled)),
            key=lambda c: -combined[c],
        )  # fmt: skip
        flagged = _one_harm(flagged, combined, ruled)
        severity = severity_of(flagged, combined)
        action = self._action(flagged, combined, ruled, severity)
        if not flagged and any(c.error for c in checks if c.kind != "llm"):
            action = "review"
        evidence = [e for c in checks for e in c.evidence if e.category in flagged]
        evidence += [
            Evidence(start=0, end=len(norm.original), text=norm.original[:200], category=cat,  # type: ignore[arg-type]
                     rule=f"{c.name}:p={c.scores[cat]:.2f}")
            for c in checks if c.kind == "model" for cat in flagged if c.scores.get(cat, 0) >= 0.5
        ]  # fmt: skip
        shadow = self.policy.mode == "shadow"
        return Verdict(
            risky=bool(flagged), categories=flagged,  # type: ignore[arg-type]
            scores={c: round(s, 4) for c, s in sorted(combined.items(), key=lambda kv: -kv[1]) if s >= 0.01},
            severity=severity, action="allow" if shadow else action, evidence=evidence, checks=checks,
            engine=engine, policy_version=self.policy.version, source=source,
            shadow_action=action if shadow else None,
            reply=self.policy.care_reply if "self_harm" in flagged else None,
        )  # fmt: skip

    def _action(
        self, flagged: list[str], combined: dict[str, float], ruled: dict[str, float], severity: Severity
    ) -> Action:
        """The policy's action, capped: a category that only a classifier suspects goes no further
        than ``model_only_action`` unless its calibrated delete threshold is met (rule evidence or
        an LLM's confirmation lifts the cap), and self_harm is never deleted (a person reaches out)."""
        action = next((self.policy.category_actions[c] for c in flagged if c in self.policy.category_actions),
                      self.policy.actions[severity])  # fmt: skip
        cap = self.policy.model_only_action
        if flagged and not any(
            ruled.get(c, 0.0) >= RULE_EVIDENCE or combined[c] >= self.policy.model_delete_thresholds.get(c, 2.0)
            for c in flagged
        ) and harsher(action, cap):  # fmt: skip
            action = cap
        if "self_harm" in flagged and harsher(action, "review"):
            action = "review"
        return action


def _one_harm(flagged: list[str], combined: dict[str, float], ruled: dict[str, float]) -> list[str]:
    """The categories a message is judged by (``flagged`` is sorted by score). A category only the
    classifier suspects needs ``SECOND_CATEGORY`` beside one that rules establish or beside the
    classifier's own likeliest: the heads spill into neighbours (a threat's 打 reads as abuse too).
    spam_ads beside a harm sold through a contact (``SOLD_THROUGH_CONTACT``) is that harm's channel."""
    if len(flagged) < 2:
        return flagged
    established = [c for c in flagged if ruled.get(c, 0.0) >= RULE_EVIDENCE]
    first = established[0] if established else flagged[0]
    kept = [c for c in flagged if c == first or c in established or combined[c] >= SECOND_CATEGORY]
    if "spam_ads" in kept and any(c in SOLD_THROUGH_CONTACT for c in established):
        kept.remove("spam_ads")
    return kept


def rule_scores(checks: list[Check]) -> dict[str, float]:
    """Per category, the noisy-OR of what rules (terms, patterns, phrases) and an LLM found."""
    scores: dict[str, float] = {}
    for check in checks:
        if check.kind != "model":
            for category, score in check.scores.items():
                scores[category] = 1.0 - (1.0 - scores.get(category, 0.0)) * (1.0 - score)
    return scores


def _noisy_or(checks: list[Check], warning: bool, quotable: frozenset[str]) -> dict[str, float]:
    """Per category 1 − Π(1 − score); in a warning, quotable evidence counts less, and the
    quote counts once: the term and the request phrase of 「别把验证码发给别人」 are one quote."""
    pieces: list[tuple[str, float]] = []
    quoted: dict[str, float] = {}
    for check in checks:
        for category, score in check.scores.items():
            if warning and (check.kind == "model" or check.name in quotable) and category in COUNTER_SPEECH_CATEGORIES:
                score *= COUNTER_SPEECH_DISCOUNT
                if check.name in quotable:
                    quoted[category] = max(quoted.get(category, 0.0), score)
                    continue
            pieces.append((category, score))
    combined: dict[str, float] = {}
    for category, score in [*pieces, *quoted.items()]:
        combined[category] = 1.0 - (1.0 - combined.get(category, 0.0)) * (1.0 - score)
    return combined


def _hard_categories(checks: list[Check], warning: bool, quotable: frozenset[str]) -> set[str]:
    """Categories decided by a rule (a full-weight term or a pattern), which no model may veto;
    in a warning, only identifiers and links (a quoted word decides nothing)."""
    hard = set()
    for check in checks:
        if check.kind == "rule" and (check.name not in quotable or not warning):
            hard |= {c for c, s in check.scores.items() if s >= 0.7}
    return hard


class ModerationService:
    """Moderators per community, built on first use and rebuilt when a community's policy or
    trained model changes on disk. Only communities the registry knows get one, and at most
    ``CACHED_MODERATORS`` are kept: names from requests cannot grow memory. Verdicts of a community in
    shadow mode that would have been acted on are logged to ``<data_dir>/moderation/shadow/<community>.jsonl``
    for the operator to review."""

    def __init__(self, communities: Communities, llm: ChatModel | None = None, now: Clock = utc_now) -> None:
        self.communities, self.llm, self.now = communities, llm, now
        self._moderators: OrderedDict[str | None, tuple[tuple[int | None, ...], Moderator]] = OrderedDict()
        self._generic: Moderator | None = None
        self._lock = threading.Lock()

    @classmethod
    def from_settings(cls, settings: Settings) -> ModerationService:
        return cls(Communities(settings), make_chat_model(settings))

    def moderate_many(self, texts: Sequence[str], community: str | None, source: Source = "member") -> list[Verdict]:
        """Verdicts under the community's policy; in shadow mode also written to the shadow log."""
        return self.run(self.moderator(community), texts, source)

    def run(self, moderator: Moderator, texts: Sequence[str], source: Source = "member") -> list[Verdict]:
        """``moderate_many`` with a moderator already in hand (from ``ready``): a request resolves
        its community and checks the files once."""
        verdicts = moderator.moderate_many(texts, source)
        acted = [(t, v) for t, v in zip(texts, verdicts, strict=True) if v.shadow_action not in (None, "allow")]
        if acted:
            self._log_shadow(moderator.community, acted)
        return verdicts

    def _log_shadow(self, community: str | None, acted: list[tuple[str, Verdict]]) -> None:
        """One line per verdict that enforcement would have acted on."""
        path = inside(self.communities.settings.data_dir / "moderation", "shadow", f"{community or 'default'}.jsonl")
        path.parent.mkdir(parents=True, exist_ok=True)
        at = self.now().isoformat()
        rows = [
            json.dumps({"at": at, "community": community, "source": v.source, "text": t[:500], "action": v.action,
                        "shadow_action": v.shadow_action, "categories": v.categories,
                        "policy_version": v.policy_version}, ensure_ascii=False)
            for t, v in acted
        ]  # fmt: skip
        with self._lock, path.open("a", encoding="utf-8") as file:
            file.write("\n".join(rows) + "\n")

    def ready(self, community: str | None) -> Moderator | None:
        """The community's moderator when using it needs no file read and no LLM call: offline,
        built and still current (a few ``stat`` calls to tell); else None."""
        if self.llm is not None:
            return None
        community = self.communities.resolve(community)
        cached = self._moderators.get(community)
        return cached[1] if cached is not None and cached[0] == self._stamp(community) else None

    def moderator(self, community: str | None) -> Moderator:
        """Raises ``InvalidCommunity`` / ``UnknownCommunity`` before anything is loaded."""
        community = self.communities.resolve(community)
        stamp = self._stamp(community)
        with self._lock:
            cached = self._moderators.get(community)
            if cached is None or cached[0] != stamp:
                cached = (stamp, Moderator.for_community(self.communities, community, self.llm))
            self._moderators[community] = cached
            self._moderators.move_to_end(community)
            while len(self._moderators) > CACHED_MODERATORS:
                self._moderators.popitem(last=False)
            return cached[1]

    def generic(self) -> Moderator:
        """The built-in rules and model with default policy and no LLM: for screening text
        that belongs to no community yet (knowledge being ingested)."""
        with self._lock:
            if self._generic is None:
                self._generic = Moderator.for_community(self.communities, None)
            return self._generic

    def _stamp(self, community: str | None) -> tuple[int | None, ...]:
        if community is None:
            return ()
        return stamps([self.communities.model_path(community), self.communities.path("moderation", community, ".yaml")])
