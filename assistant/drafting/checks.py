"""The compliance gate: named checks, each returning the spans that stop a post.

A check is any object with a ``name`` and ``run(text, norm, context) -> spans``; the gate runs
a list of them and reports every one (style.md: tg-spam's named checks). A check that raises
fails with its error as evidence: a broken check never waves a post through."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cache, lru_cache
from importlib import resources
from typing import Protocol

from assistant.drafting.models import CheckResult, GateResult, Plan, Span
from assistant.moderation.engine import Moderator
from assistant.moderation.lexicon import Lexicon, Term, builtin_allow, builtin_terms, parse_lexicon
from assistant.moderation.normalize import Normalized, normalize
from assistant.text import fold

#: Char-bigram Jaccard at which a post repeats one already sent.
DUPLICATE_SIMILARITY = 0.8
#: A category the verdict flags counts against a draft when a rule found words for it (the
#: classifier corroborating a weak term, as the engine designs it), or the classifier alone is
#: this sure: on long authored posts the generic model scores 0.5-0.66 "fraud" for 11 of the 94
#: sample scripts, none of them risky.
CLASSIFIER_SURE = 0.9
#: Ad-law terms weaker than this (绝对, 治疗) read as advice (绝对不要, 及时就医治疗) in a draft.
AD_LAW_MIN_WEIGHT = 0.4
#: Moderation rules whose findings the links and contacts checks judge with the community's allow-lists.
_DELEGATED = frozenset({"pattern:link", "pattern:short_link", "pattern:phone", "pattern:contact_phone",
                        "pattern:wechat_id", "pattern:qq_id"})  # fmt: skip


@dataclass
class CheckContext:
    """What a post is checked against: its community's rules, its brief, its recent posts."""

    plan: Plan
    moderator: Moderator | None = None
    banned_words: Sequence[str] = ()
    must_include: Sequence[str] = ()
    must_avoid: Sequence[str] = ()
    recent: Sequence[tuple[str, str]] = field(default_factory=list)  # (post id, text)
    sources: Sequence[str] = ()  # vetted wording: the community's name, the scripts drafted from


class DraftCheck(Protocol):
    name: str

    def run(self, text: str, norm: Normalized, context: CheckContext) -> list[Span]: ...


def run_checks(text: str, context: CheckContext, checks: Sequence[DraftCheck] | None = None) -> GateResult:
    norm = normalize(text)
    results = []
    for check in checks if checks is not None else DEFAULT_CHECKS:
        try:
            spans = check.run(text, norm, context)
        except Exception as exc:  # noqa: BLE001 — any failure to check is a failed check
            spans = [Span(start=0, end=0, text="", reason=f"check could not run: {exc}")]
        results.append(CheckResult(name=check.name, passed=not spans, evidence=spans))
    return GateResult(passed=all(r.passed for r in results), checks=results)


def _found(norm: Normalized, phrase: str) -> list[tuple[int, int]]:
    """Original spans of ``phrase`` in the text, compared the way moderation compares
    (full/half width, traditional/simplified, spacing and punctuation ignored)."""
    return _found_normal(norm, normalize(phrase).text)


def _found_normal(norm: Normalized, needle: str) -> list[tuple[int, int]]:
    if not needle:
        return []
    return [norm.span(m.start(), m.start() + len(needle)) for m in re.finditer(re.escape(needle), norm.text)]


def _posted(text: str) -> str:
    """Full-width folded and lower-cased at the same length, so regex offsets are the text's own."""
    folded = unicodedata.normalize("NFKC", text).lower()
    return folded if len(folded) == len(text) else text.lower()


def _span(text: str, start: int, end: int, reason: str) -> Span:
    return Span(start=start, end=end, text=text[start:end], reason=reason)


class ModerationCheck:
    """Every moderation category by the community's moderator (source: draft). Ad-law words,
    links and contacts are left to their own checks, which know the drafting rules and allow-lists.
    Wording taken from the operator's own vetted scripts is not held against a draft (群规's
    "私聊提醒" is the operator speaking, not a member luring people away): as in answering,
    only the risk a draft adds to its sources counts."""

    name = "moderation"

    def run(self, text: str, norm: Normalized, context: CheckContext) -> list[Span]:
        if context.moderator is None:
            return []
        verdict = context.moderator.moderate(text)
        vetted = fold(" ".join(context.sources))
        flagged = set(verdict.categories) - {"ad_law", "other"}
        spans = []
        for check in verdict.checks:
            if check.kind == "context":
                continue
            if check.kind == "model":
                sure = [c for c in flagged if check.scores.get(c, 0.0) >= CLASSIFIER_SURE]
                spans += [_span(text, 0, len(text), f"{c}: classifier p={check.scores[c]:.2f}") for c in sure]
                continue
            spans += [
                _span(text, e.start, e.end, f"{e.category}: {e.rule}")
                for e in check.evidence
                if e.category in flagged and e.rule not in _DELEGATED and not (vetted and fold(e.text) in vetted)
            ]
        return spans


def _data(name: str, category: str) -> list[Term]:
    file = resources.files("assistant.drafting") / "data" / name
    return parse_lexicon(file.read_text("utf-8").splitlines(), category)


@cache
def _ordinary_phrases() -> tuple[str, ...]:
    """Phrases that hold a claim word but claim nothing (第一步, 第一次 …), normalised."""
    return tuple(t.word for t in _data("ad_law_allow.txt", "allow"))


def _inside_ordinary(norm: Normalized, start: int, end: int) -> bool:
    """Original span ``[start, end)`` lies inside one of the ordinary phrases in the text."""
    return any(s <= start and end <= e for phrase in _ordinary_phrases() for s, e in _found_normal(norm, phrase))


@cache
def _ad_law() -> tuple[Lexicon, dict[str, float]]:
    terms = [t for t in builtin_terms() if t.category == "ad_law"] + _data("ad_law.txt", "ad_law")
    allow = list(_ordinary_phrases())
    weights: dict[str, float] = {}
    for term in terms:
        weights[term.word] = max(weights.get(term.word, 0.0), term.weight)
    return Lexicon([Term(t.category, t.word, t.weight) for t in terms], [*builtin_allow(), *allow]), weights


_PERCENT_CLAIM = re.compile(r"100\s*[%％]|百分之?百")


class AdLawCheck:
    """广告法: absolute claims (最X, 第一, 国家级), 100%, cures, guaranteed results or returns —
    but not ordinals and ordinary phrases (第一步, 第一次, 最近, 最多 3 件)."""

    name = "ad_law"

    def run(self, text: str, norm: Normalized, context: CheckContext) -> list[Span]:
        lexicon, weights = _ad_law()
        spans = [
            _span(text, e.start, e.end, f"advertising-law term {e.rule.removeprefix('lexicon:')}")
            for e in lexicon.check(norm).evidence
            if weights.get(e.rule.removeprefix("lexicon:"), 1.0) >= AD_LAW_MIN_WEIGHT
        ]
        spans += [_span(text, *m.span(), "advertising-law claim 100%") for m in _PERCENT_CLAIM.finditer(_posted(text))]
        return _dedupe(spans)


def _dedupe(spans: list[Span]) -> list[Span]:
    """A span inside another one is the same finding (第一 inside 全网第一)."""
    spans = sorted(spans, key=lambda s: (s.start, -(s.end - s.start)))
    kept: list[Span] = []
    for span in spans:
        if not any(k.start <= span.start and span.end <= k.end for k in kept):
            kept.append(span)
    return kept


class MustIncludeCheck:
    name = "must_include"

    def run(self, text: str, norm: Normalized, context: CheckContext) -> list[Span]:
        return [
            Span(start=0, end=0, text=phrase, reason="required fact missing")
            for phrase in context.must_include
            if phrase.strip() and not _found(norm, phrase)
        ]


class MustAvoidCheck:
    """The brief's ``must_avoid`` and the community's banned words; a banned 第一 is not found
    in 第一步 or 第一次 (the same ordinary phrases the ad-law check lets through)."""

    name = "must_avoid"

    def run(self, text: str, norm: Normalized, context: CheckContext) -> list[Span]:
        spans = []
        for reason, phrases in (("must_avoid", context.must_avoid), ("community banned word", context.banned_words)):
            for phrase in phrases:
                spans += [
                    _span(text, s, e, f"{reason}: {phrase}")
                    for s, e in _found(norm, phrase)
                    if not _inside_ordinary(norm, s, e)
                ]
        return _dedupe(spans)


_PLACEHOLDER = re.compile(
    r"\{[^{}\n]{1,40}\}|\{\{|\}\}|【\s*待[填定补]\s*】|[（(]\s*待[填定补]\s*[)）]|(?<![a-z])x{2,}(?![a-z])|×{2,}"
    r"|_{3,}|＿{2,}|\btodo\b|\btbd\b|\[\s*(?:待定|填写|插入|link|链接)[^\]]*\]|某某"
)


class PlaceholderCheck:
    name = "placeholders"

    def run(self, text: str, norm: Normalized, context: CheckContext) -> list[Span]:
        return [_span(text, *m.span(), "placeholder left unfilled") for m in _PLACEHOLDER.finditer(_posted(text))]


class LengthCheck:
    """WeChat group norms: a post people read on a phone, not a wall of text."""

    name = "length"

    def run(self, text: str, norm: Normalized, context: CheckContext) -> list[Span]:
        if not text.strip():
            return [Span(start=0, end=0, text="", reason="empty post")]
        spans = []
        if len(text) > context.plan.max_chars:
            spans.append(_span(text, context.plan.max_chars, len(text), f"longer than {context.plan.max_chars} chars"))
        lines = [m for m in re.finditer(r"[^\n]*\S[^\n]*", text)]
        if len(lines) > context.plan.max_lines:
            start = lines[context.plan.max_lines].start()
            spans.append(_span(text, start, len(text), f"more than {context.plan.max_lines} lines"))
        return spans


_TLD = r"(?:com|cn|net|org|top|xyz|cc|vip|me|io|co|info|link|club|site|shop|ly|to|gd|im|tv|gl)"
_URL = re.compile(rf"(?:https?://|www\.)[\x21-\x7e]+|\b(?:[a-z0-9-]+\.)+{_TLD}\b(?:/[\x21-\x7e]*)?")
SHORT_LINK_HOSTS = frozenset({"t.cn", "dwz.cn", "url.cn", "w.url.cn", "bit.ly", "tinyurl.com", "suo.im", "is.gd",
                              "goo.gl", "t.co", "ow.ly", "3.cn", "u.jd.com", "tb.cn", "m.tb.cn", "b23.tv",
                              "xhslink.com", "v.douyin.com", "s.click.taobao.com"})  # fmt: skip


def _host(url: str) -> str:
    host = re.sub(r"^(?:https?://)", "", url).split("/", 1)[0].split("?", 1)[0].split(":", 1)[0]
    return host.rstrip(".,;!?)").removeprefix("www.")


class LinkCheck:
    """Links only to the community's allowed domains (and subdomains); short links never,
    since nobody can see where they lead."""

    name = "links"

    def run(self, text: str, norm: Normalized, context: CheckContext) -> list[Span]:
        allowed = [d.lower().removeprefix("www.") for d in context.plan.allowed_links]
        spans = []
        for match in _URL.finditer(_posted(text)):
            host = _host(match.group())
            if host in SHORT_LINK_HOSTS:
                spans.append(_span(text, *match.span(), f"short link ({host})"))
            elif not any(host == d or host.endswith("." + d) for d in allowed):
                spans.append(_span(text, *match.span(), f"link to {host}, not on the community's allow-list"))
        return spans


_CONTACTS = (
    ("phone", re.compile(r"(?<!\d)1[3-9]\d(?:[ -]?\d{4}){2}(?!\d)")),
    ("landline", re.compile(r"(?<![\d-])0\d{2,3}-\d{7,8}(?!\d)|(?<!\d)[48]00-?\d{3}-?\d{4}(?!\d)")),
    ("email", re.compile(r"[a-z0-9._%+-]+@[a-z0-9-]+(?:\.[a-z0-9-]+)+")),
    (
        "wechat",
        re.compile(r"(?:微信|weixin|wechat|wx|vx|v信|威信|薇信)号?\s*[:：]?\s*(?:是|为)?\s*([a-z][-_a-z0-9]{5,19})"),
    ),
    ("qq", re.compile(r"qq\s*(?:号|群)?\s*[:：]?\s*(?:是|为)?\s*(\d{5,11})(?!\d)")),
)


def _contact_key(value: str) -> str:
    return re.sub(r"[\s:：-]", "", fold(value))


class ContactCheck:
    """Phone numbers, emails, WeChat and QQ ids other than the community's own."""

    name = "contacts"

    def run(self, text: str, norm: Normalized, context: CheckContext) -> list[Span]:
        own = {_contact_key(c) for c in context.plan.contacts}
        spans = []
        for kind, pattern in _CONTACTS:
            for match in pattern.finditer(_posted(text)):
                value = match.group(match.lastindex or 0)
                if _contact_key(value) not in own:
                    spans.append(_span(text, *match.span(), f"{kind} that is not the community's own"))
        return spans


@lru_cache(maxsize=4096)
def bigrams(text: str) -> frozenset[str]:
    """Cached: a month of drafts compares every variant with the same recent posts."""
    chars = re.sub(r"[\W_]+", "", fold(text))
    return frozenset(chars[i : i + 2] for i in range(len(chars) - 1))


def similarity(a: str, b: str) -> float:
    x, y = bigrams(a), bigrams(b)
    return len(x & y) / len(x | y) if x and y else 0.0


class DuplicateCheck:
    """Members notice a post they read last week: no near-copy of a recent one."""

    name = "near_duplicate"

    def run(self, text: str, norm: Normalized, context: CheckContext) -> list[Span]:
        spans = []
        for post_id, earlier in context.recent:
            score = similarity(text, earlier)
            if score >= DUPLICATE_SIMILARITY:
                spans.append(_span(text, 0, len(text), f"near-duplicate of post {post_id} (similarity {score:.2f})"))
        return spans


DEFAULT_CHECKS: tuple[DraftCheck, ...] = (
    ModerationCheck(), AdLawCheck(), MustIncludeCheck(), MustAvoidCheck(), PlaceholderCheck(),
    LengthCheck(), LinkCheck(), ContactCheck(), DuplicateCheck(),
)  # fmt: skip
