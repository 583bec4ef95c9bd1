"""The moderator runs a list of typed detectors and decides by kind, not by name: a detector
of one's own plugs in, and every check says what kind of evidence it is."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from assistant.moderation.classifier import TextClassifier
from assistant.moderation.detectors import ClassifierDetector, RuleDetector, standard
from assistant.moderation.engine import Moderator, builtin_classifier
from assistant.moderation.lexicon import Lexicon
from assistant.moderation.models import Check, Evidence
from assistant.moderation.normalize import Normalized, normalize
from assistant.moderation.policy import Policy
from tests.fixed_model import FixedScores


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


class _OneSentence(TextClassifier):
    """Risky and one category (hate unless named) only for one exact (normalised) sentence; every
    other text scores low."""

    def __init__(self, sentence: str, category: str = "hate") -> None:
        super().__init__(vocabulary=[], idf=np.zeros(0), labels=["risky", category], weights=np.zeros((2, 0)),
                         bias=np.zeros(2))  # fmt: skip
        self.sentence = sentence
        self.seen: list[str] = []

    def predict_normalized(self, normalized: Sequence[str]) -> np.ndarray:
        self.seen += normalized
        return np.array([[0.9, 0.9] if text == self.sentence else [0.1, 0.1] for text in normalized])


def test_a_long_post_is_judged_by_its_worst_sentence() -> None:
    """One derogatory sentence inside a long argument is scored on its own, not diluted in the post."""
    model = _OneSentence("他们那边的人都靠不住")
    detector = ClassifierDetector("classifier", model, Policy())
    long_post = "我在那边工作过三年，见过不少事情，也认识了很多朋友。他们那边的人都靠不住！信不信由你们，我只是说说。"
    short = "今天天气很好。出去走走吧！"
    checks = detector.check_many([normalize(long_post), normalize(short)])
    assert checks[0].flagged and checks[0].scores["hate"] == 0.9
    assert not checks[1].flagged
    assert normalize(short).text in model.seen and "今天天气很好" not in model.seen  # short posts are scored whole
    sentences = ["我在那边工作过三年见过不少事情也认识了很多朋友", "他们那边的人都靠不住", "信不信由你们我只是说说"]
    clause_runs = ["我在那边工作过三年见过不少事情", "也认识了很多朋友他们那边的人都靠不住"]
    assert normalize(long_post).parts() == sentences + clause_runs


def test_an_ad_is_judged_by_the_whole_post_not_by_one_sentence() -> None:
    """A group's rules name what they forbid: that sentence alone reads as spam, the post does not."""
    rules = "欢迎大家来到本群，请一起遵守群规。禁止发广告和外部链接，禁止拉人进群！违反的会先提醒一次，谢谢理解。"
    model = _OneSentence("禁止发广告和外部链接禁止拉人进群", category="spam_ads")
    check = ClassifierDetector("classifier", model, Policy()).check_many([normalize(rules)])[0]
    assert "禁止发广告和外部链接禁止拉人进群" in model.seen  # scored, but the spam head keeps the post's score
    assert not check.flagged and check.scores.get("spam_ads", 0.0) < 0.5


def _hate_scores(model: TextClassifier, *texts: str) -> list[float]:
    checks = ClassifierDetector("classifier", model, Policy()).check_many([normalize(t) for t in texts])
    return [check.scores.get("hate", 0.0) for check in checks]


def test_a_sure_hate_head_lifts_a_doubtful_risky_head_only_on_text_naming_a_group() -> None:
    """Hate's ceiling is the risky score, or on a message naming a group the geometric mean of both."""
    model = FixedScores(0.3, hate=0.95)
    naming, other = _hate_scores(model, "又是河南的，难怪", "又是这样的，难怪")
    assert naming == round((0.95 * 0.3) ** 0.5, 4) and naming >= 0.5
    assert other == 0.3


def test_the_hate_head_alone_cannot_flag_and_other_heads_stay_capped() -> None:
    alone = ClassifierDetector("classifier", FixedScores(0.05, hate=0.99), Policy()).check_many([normalize("东北人")])
    assert not alone[0].flagged and alone[0].scores["hate"] < 0.5
    check = ClassifierDetector("classifier", FixedScores(0.3, fraud=0.95), Policy()).check_many([normalize("河南人")])
    assert check[0].scores["fraud"] == 0.3 and not check[0].flagged
