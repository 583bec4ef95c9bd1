"""The moderator runs a list of typed detectors and decides by kind, not by name: a detector
of one's own plugs in, and every check says what kind of evidence it is."""

from __future__ import annotations

from collections.abc import Sequence

from assistant.moderation.detectors import RuleDetector, standard
from assistant.moderation.engine import Moderator, builtin_classifier
from assistant.moderation.lexicon import Lexicon
from assistant.moderation.models import Check, Evidence
from assistant.moderation.normalize import Normalized
from assistant.moderation.policy import Policy


def _house_rule(norm: Normalized) -> Check:
    """A community's own rule, written as a detector: 拼单 is off-platform trading here."""
    at = norm.text.find("拼单")
    if at < 0:
        return Check(name="house_rules", flagged=False)
    start, end = norm.span(at, at + 2)
    evidence = Evidence(start=start, end=end, text=norm.original[start:end], category="spam_ads", rule="house:拼单")
    return Check(name="house_rules", flagged=True, scores={"spam_ads": 1.0}, evidence=[evidence])


def test_every_check_carries_its_kind() -> None:
    verdict = Moderator(Policy(), {"classifier": builtin_classifier()}).moderate("别信！有人说加微信abc_2026x领红包")
    kinds = {c.name: c.kind for c in verdict.checks}
    assert kinds == {"lexicon": "rule", "patterns": "rule", "phrases": "rule", "classifier": "model",
                     "counter_speech": "context"}  # fmt: skip


def test_a_detector_of_ones_own_plugs_in_and_its_evidence_decides() -> None:
    policy = Policy()
    detectors: Sequence = [*standard(policy, Lexicon.build(), {}), RuleDetector("house_rules", _house_rule)]
    moderator = Moderator(policy, {}, detectors=detectors)
    verdict = moderator.moderate("周末一起拼单吗")
    assert verdict.categories == ["spam_ads"] and verdict.action != "allow"
    assert [e.rule for e in verdict.evidence] == ["house:拼单"] and verdict.evidence[0].text == "拼单"
    assert Moderator(policy, {}).moderate("周末一起拼单吗").action == "allow"


def test_a_model_only_suspicion_is_read_from_the_kind() -> None:
    """The same scores from a model-kind detector are capped at review; from a rule, they delete."""
    policy = Policy()

    def scored(kind: str) -> RuleDetector:
        return RuleDetector(f"x-{kind}", lambda n: Check(name=f"x-{kind}", kind=kind, flagged=True,  # type: ignore[arg-type]
                                                          scores={"fraud": 0.95}), kind=kind)  # type: ignore[arg-type]  # fmt: skip

    by_model = Moderator(policy, {}, detectors=[scored("model")]).moderate("任意消息")
    by_rule = Moderator(policy, {}, detectors=[scored("rule")]).moderate("任意消息")
    assert by_model.categories == by_rule.categories == ["fraud"]
    assert by_model.action == "review" and by_rule.action in {"delete", "delete_and_warn"}
