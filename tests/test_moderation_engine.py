import numpy as np
import pytest
from pydantic import ValidationError

from assistant.moderation import patterns
from assistant.moderation.classifier import TextClassifier
from assistant.moderation.engine import Moderator, builtin_classifier
from assistant.moderation.lexicon import Lexicon
from assistant.moderation.normalize import normalize
from assistant.moderation.patterns import id_card_ok, luhn_ok
from assistant.moderation.policy import Policy
from tests.fixed_model import FixedScores


@pytest.fixture(scope="module")
def moderator() -> Moderator:
    return Moderator(Policy(), {"classifier": builtin_classifier()})


def test_disguised_contact_diversion_is_caught_with_evidence_in_the_posted_text(moderator: Moderator) -> None:
    posted = "宝妈们好 加 薇 信 abc_2026x 领试用装"
    verdict = moderator.moderate(posted)
    assert verdict.risky and verdict.categories[0] == "spam_ads"
    assert verdict.action in {"delete", "delete_and_warn"}
    spans = [e for e in verdict.evidence if e.rule.startswith("pattern:wechat_id")]
    assert spans and posted[spans[0].start : spans[0].end] == spans[0].text
    assert "薇" in spans[0].text
    assert {c.name for c in verdict.checks} == {"lexicon", "patterns", "phrases", "classifier", "counter_speech"}


def test_ordinary_chat_is_allowed(moderator: Moderator) -> None:
    verdict = moderator.moderate("今天的直播讲得真好，谢谢老师～")
    assert not verdict.risky and verdict.action == "allow" and verdict.severity == "none"


def test_self_harm_goes_to_a_person_not_deletion(moderator: Moderator) -> None:
    verdict = moderator.moderate("真的不想活了，今晚就结束吧")
    assert "self_harm" in verdict.categories and verdict.action == "review"


def test_community_keywords_and_allow_list() -> None:
    policy = Policy(keywords={"spam_ads": ["隔壁团购"]}, allow=["小芽贝贝官方微信"])
    moderator = Moderator(policy, {})
    assert moderator.moderate("来隔 壁 团 购群看看").categories == ["spam_ads"]
    assert not moderator.moderate("认准小芽贝贝官方微信发布的通知").risky


def test_a_broken_classifier_never_makes_a_message_clean() -> None:
    broken = TextClassifier(["普"], idf=np.zeros(0), labels=["risky"], weights=np.zeros((1, 1)), bias=np.zeros(1))
    verdict = Moderator(Policy(), {"classifier": broken}).moderate("普通的一句话")
    failed = [c for c in verdict.checks if c.error]
    assert failed and failed[0].name == "classifier"
    assert verdict.action == "review"


def test_policy_rejects_unknown_categories() -> None:
    with pytest.raises(ValidationError, match="unknown categories"):
        Policy(thresholds={"spam": 0.3})


def test_thresholds_change_the_decision(moderator: Moderator) -> None:
    text = "我的电话13800138000"
    assert "privacy" in moderator.moderate(text).categories
    strict = Moderator(Policy(thresholds={"privacy": 0.99, "spam_ads": 0.99}), {})
    assert not strict.moderate(text).risky


def test_a_number_is_an_ad_only_with_a_lure_word() -> None:
    """「电话 139…」 alone is as often someone else's number posted to expose them: privacy, not an ad;
    a number offered with a lure word is the poster's own, an ad and no leak."""
    exposed = patterns.check(normalize("骗子电话：13800138123，大家认识一下"))
    advertised = patterns.check(normalize("订购电话：13800138123，包邮到家"))
    assert exposed.scores == {"privacy": 0.7}
    assert advertised.scores == {"spam_ads": 0.8}
    both = patterns.check(normalize("加我13800138123拿货，他的号码13912345678别打"))
    assert both.scores == {"privacy": 0.7, "spam_ads": 0.8}
    assert [e.text for e in both.evidence if e.category == "privacy"] == ["13912345678"]


@pytest.mark.parametrize(
    ("text", "slight"),
    [
        ("说实话，湖北人素质低，出门都得防着点", True),
        ("最讨厌日本人了，一个都不想见", True),
        ("男的都是渣，没一个靠得住", True),
        ("湖北人做的热干面真香", False),  # a group, no slight
        ("这家店服务太垃圾了，再也不来", False),  # a slight, no group
        ("那个男的是个骗子，大家小心", False),  # one man, not all men
    ],
)
def test_a_slight_on_a_whole_group_is_hate(text: str, slight: bool) -> None:
    assert (patterns.check_phrases(normalize(text)).scores.get("hate") == 0.6) is slight


@pytest.mark.parametrize(
    ("text", "hate"),
    [
        ("说句实话，东北人就是爱吹牛", 0.3),  # a sweeping statement: weak evidence
        ("这帮外地佬又来了", 0.3),
        ("男的都是渣，没一个靠得住", 0.6),  # a slight decides
        ("东北的冬天真冷", None),  # a group, nothing said of all of them
        ("他就是爱吹牛", None),  # a sweep, no group
    ],
)
def test_a_sweeping_statement_about_a_group_is_weak_evidence(text: str, hate: float | None) -> None:
    check = patterns.check_phrases(normalize(text))
    assert check.scores.get("hate") == hate
    assert check.flagged is (hate == 0.6)  # weak evidence flags nothing, nor drops a background line
    assert not Moderator(Policy(), {}).moderate("说句实话，东北人就是爱吹牛").risky  # never flags alone


def test_the_group_rules_run_only_on_text_thatnames_a_group() -> None:
    """The Aho-Corasick gate is exact: whatever either regex matches names a place, group or gender."""
    texts = ["湖北人素质低", "最讨厌日本人了", "女的就是矫情", "这帮农民工", "今天团购的水果真甜", "服务垃圾透顶"]
    for text in texts:
        folded = normalize(text).text
        matched = bool(patterns._GROUP_SLIGHT.search(folded) or patterns._SWEEPING.search(folded))
        assert patterns.names_a_group(folded) or not matched
    assert [patterns.names_a_group(normalize(t).text) for t in texts] == [True] * 4 + [False] * 2


def test_checksums() -> None:
    assert luhn_ok("4111111111111111") and not luhn_ok("4111111111111112")
    assert id_card_ok("11010519491231002X") and not id_card_ok("110105194912310021")


def test_batch_equals_one_by_one(moderator: Moderator) -> None:
    texts = ["加我vx领红包", "谢谢分享", "代开发票 联系我"]
    assert [v.model_dump() for v in moderator.moderate_many(texts)] == [
        moderator.moderate(t).model_dump() for t in texts
    ]


def test_a_clause_mark_only_hides_a_word_in_a_spelled_out_message() -> None:
    """The normaliser drops punctuation so that 加，微，信 reads 加微信; in ordinary prose the
    same dropping would glue 小腿上，吊牌 into 上吊."""
    lexicon = Lexicon.build()
    prose = lexicon.check(normalize("裤腿吊在小腿上，吊牌还没剪"))
    assert "self_harm" not in prose.scores and not prose.evidence
    spelled = lexicon.check(normalize("加，微，信，领红包"))
    assert spelled.scores["spam_ads"] == 1.0
    assert [e.text for e in spelled.evidence] == ["加，微，信"]  # 加微信 and 加v信 are one term
    assert lexicon.check(normalize("实在想不开，上 吊算了")).scores["self_harm"] == 1.0


@pytest.mark.parametrize(
    ("risky", "fraud", "flagged"),
    [(0.9, 0.05, False), (0.9, 0.4, True), (0.6, 0.3, False)],
)
def test_an_unsure_category_needs_both_heads_to_lean_risky(risky: float, fraud: float, flagged: bool) -> None:
    """When only the risky head is sure, its likeliest category is scored by both heads' mean:
    a risky head firing on its own (p=0.9 on a plain service question) must not flag it."""
    verdict = Moderator(Policy(), {"classifier": FixedScores(risky=risky, fraud=fraud)}).moderate("你们有线下班吗")
    assert verdict.scores["fraud"] == pytest.approx((risky + fraud) / 2)
    assert verdict.risky is flagged and verdict.categories == (["fraud"] if flagged else [])


def test_a_warning_that_quotes_a_scam_phrase_counts_the_quote_once(moderator: Moderator) -> None:
    """「把验证码发」 is both a lexicon term and a request phrase: in a warning it is one quote,
    not two pieces of evidence that add up past the threshold; the request itself still counts."""
    assert not moderator.moderate("千万别把验证码发给任何人").risky
    assert "fraud" in moderator.moderate("把验证码发给我，马上帮你解冻").categories


@pytest.mark.parametrize(("fraud", "second"), [(0.7, False), (0.9, True)])
def test_a_second_category_only_the_classifier_suspects_needs_a_strong_score(fraud: float, second: bool) -> None:
    """The rules say what 加微信领红包 is (spam_ads); a classifier head's moderate fraud score beside
    it is spill from a neighbouring category, while alone the same score flags the message."""
    moderator = Moderator(Policy(), {"classifier": FixedScores(risky=0.95, fraud=fraud)})
    assert moderator.moderate("加微信领红包").categories == (["spam_ads", "fraud"] if second else ["spam_ads"])
    assert moderator.moderate("你们有线下班吗").categories == ["fraud"]


def test_neutral_questions_about_a_group_are_not_flagged(moderator: Moderator) -> None:
    """Group hate taught to the hate head must not make naming a group suspicious (own sentences,
    none in the training data)."""
    neutral = ["我是河南人，我们那边过年都吃什么馅的饺子？", "我是山东人，老家那边中秋节都要蒸花馍",
               "湖南人做腊肉一般用什么木头熏？", "东北人家里的炕现在还多吗", "女生第一次去健身房先练哪里比较好",
               "男生穿西装一般选什么颜色的领带", "外地人在这边租房要注意哪些合同条款", "日本人过年也吃荞麦面吗",
               "黑人歌手那首新歌你们听了吗，旋律挺好听", "我外婆是农村的，她腌的咸菜特别下饭"]  # fmt: skip
    assert [moderator.moderate(text).action for text in neutral] == ["allow"] * len(neutral)
    for text in ["河南人个个都是骗子，离远点", "女的都是拜金的，没一个例外"]:
        assert "hate" in moderator.moderate(text).categories


def test_a_small_transfer_to_verify_an_account_is_fraud(moderator: Moderator) -> None:
    """The refund scam asks for a token transfer "to verify the account"; asking about account
    verification or a refund that came back is not one."""
    assert "fraud" in moderator.moderate("补偿金需先转账一元验证账户，转账后原路退回").categories
    assert not moderator.moderate("账户验证一直失败怎么办").risky
    assert not moderator.moderate("退款已经原路退回了，谢谢客服").risky
