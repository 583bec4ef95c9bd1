"""Sentiment as a service: classify messages, and summarise a chat log in one streaming pass
(sentiment and moderation in batches, counters instead of messages)."""

from __future__ import annotations

import itertools
import statistics
from collections import deque
from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime, timedelta

from assistant.clock import Clock, utc_now
from assistant.llm.base import ChatModel, LLMUnavailable
from assistant.memory import gc_paused
from assistant.moderation.engine import ModerationService
from assistant.prompts import load_prompt
from assistant.retrieval.tokenize import default_tokenizer
from assistant.sentiment import health as health_score
from assistant.sentiment import llm_engine, narrative
from assistant.sentiment.aggregate import Window
from assistant.sentiment.llm_classifier import LLMSentiment
from assistant.sentiment.members import at_risk, segments
from assistant.sentiment.models import ChatMessage, Sentiment, Summary
from assistant.sentiment.offline import OfflineSentiment
from assistant.sentiment.signals import Reading, Signal, read_text
from assistant.sentiment.topics import topic_terms
from assistant.settings import Settings
from assistant.workers import ForkedWorkers

BATCH = 2000
#: Fewer distinct texts than this per process are read in the calling process.
MIN_PER_WORKER = 500
#: Up to this span the trend is hourly, beyond it daily.
HOURLY_TREND = timedelta(days=3)


class EmptyLog(ValueError):
    """No message of the log falls in the requested window (or group)."""


class SentimentService:
    """Build once; thread-safe. ``chat_model``, when given, writes the narrative and labels messages
    sent to ``classify_many``; the messages of a summary are always labelled offline."""

    def __init__(
        self,
        settings: Settings,
        moderation: ModerationService,
        chat_model: ChatModel | None = None,
        offline: OfflineSentiment | None = None,
        now: Clock = utc_now,
    ) -> None:
        self.settings, self.moderation, self.chat_model, self.now = settings, moderation, chat_model, now
        self.offline = offline or OfflineSentiment()
        self.prompt = load_prompt(settings.prompts_dir, "sentiment_summary", 1) if chat_model is not None else None
        self.llm = None if chat_model is None else LLMSentiment(
            chat_model, load_prompt(settings.prompts_dir, "sentiment", 1), self.offline)  # fmt: skip

    def classify_many(self, texts: Sequence[str]) -> list[Sentiment]:
        """The classify entry points (CLI ``sentiment classify``, ``POST /v1/sentiment/classify``):
        the LLM engine when a chat model is configured, the offline one otherwise. ``summarize``
        never comes here: a log of up to 1,000,000 messages is read offline (cost and speed)."""
        return self.llm.classify_many(texts) if self.llm is not None else self.offline.classify_many(texts)

    def summarize(
        self,
        messages: Iterable[ChatMessage],
        staff: Iterable[str] = (),
        response_minutes: float = 30,
        start: datetime | None = None,
        end: datetime | None = None,
        group: str | None = None,
        community: str | None = None,
        workers: int = 1,
    ) -> Summary:
        """Messages must come in time order (as every chat export writes them). ``workers`` > 1
        reads messages in that many forked processes (only from a single-threaded caller, like
        the CLI). Raises ``EmptyLog`` when nothing is left after the window and group filters."""
        staff_set = {s.strip() for s in staff if s.strip()}
        default_tokenizer().load_dictionary()  # once per process; lazy lookups cost 2× in bulk
        window = Window(staff_set, timedelta(minutes=response_minutes))
        moderator = self.moderation.moderator(community)
        wanted = (m for m in messages if (start is None or m.time >= start) and (end is None or m.time <= end)
                  and (group is None or m.group == group))  # fmt: skip
        chunks: deque[tuple[list[ChatMessage], list[str]]] = deque()

        def batches() -> Iterator[list[str]]:
            while chunk := list(itertools.islice(wanted, BATCH)):
                texts = list(dict.fromkeys(m.text for m in chunk))  # chat repeats itself: 收到, +1, 哈哈
                chunks.append((chunk, texts))
                yield texts

        def read(texts: list[str]) -> list[Reading]:
            with gc_paused():
                (labels, scores, _, _), verdicts = self.offline.moods(texts), moderator.moderate_many(texts)
                return [read_text(t, label, score, tuple(str(c) for c in v.categories) if v.risky else (),
                                  *topic_terms(t))
                        for t, label, score, v in zip(texts, labels, scores, verdicts, strict=True)]  # fmt: skip

        with ForkedWorkers(read, workers, MIN_PER_WORKER) as pool:
            for results in pool.imap(batches()):
                chunk, texts = chunks.popleft()
                found = dict(zip(texts, results, strict=True))
                with gc_paused():
                    for m in chunk:
                        to_staff = "@" in m.text and any(f"@{s}" in m.text for s in staff_set)
                        window.add(Signal(m, found[m.text], m.sender in staff_set, to_staff))
        if window.start is None or window.end is None:
            raise EmptyLog("no messages in the chosen window" + (f" for group {group!r}" if group else ""))
        if window.unanswered is not None:
            window.unanswered.close(window.end)
        summary = self._assemble(window, staff_set, group, start, end)
        return self._narrate(summary)

    def _assemble(self, w: Window, staff: set[str], group: str | None, start: datetime | None,
                  end: datetime | None) -> Summary:  # fmt: skip
        assert w.start is not None and w.end is not None
        first, last = start or w.start, end or w.end
        risk = at_risk(w.members, staff, first, last, w.count)
        segs = segments(w.members, staff, first, last, {r.member for r in risk})
        responsiveness = None
        if w.unanswered is not None and w.unanswered.asked:
            responsiveness = w.unanswered.answered_in_time / w.unanswered.asked
        complaints = w.complaints()
        alerts = w.bucket_alerts() + w.cluster_alerts(complaints) + w.risk_waves.alerts()
        alerts += w.arguments.episodes.alerts + (w.unanswered.episodes.alerts if w.unanswered else [])
        return Summary(
            messages=w.count, members=len(w.members),
            window={"start": first.isoformat(), "end": last.isoformat(), "group": group or w.only_group,
                    "days": len(w.days), "generated_at": self.now().isoformat()},
            sentiment=self._sentiment(w), activity=self._activity(w, staff, segs, responsiveness),
            topics=w.top_topics(), complaints=complaints,
            risky={"total": sum(b.risky for b in w.days.values()), "by_category": dict(w.risky.most_common()),
                   "examples": {k: [q.model_dump(mode="json") for q in v] for k, v in w.risky_examples.items()}},
            segments=segs, at_risk=risk, health=health_score.health(w.days, len(w.members), responsiveness),
            alerts=sorted(alerts, key=lambda a: a.time), summary="",
        )  # fmt: skip

    @staticmethod
    def _sentiment(w: Window) -> dict[str, object]:
        assert w.start is not None and w.end is not None
        hourly = w.end - w.start <= HOURLY_TREND
        buckets = sorted(w.hours.items()) if hourly else sorted(
            (datetime.fromisoformat(d).replace(tzinfo=w.start.tzinfo), b) for d, b in w.days.items())  # fmt: skip
        n = max(w.count, 1)
        return {
            "counts": {k: w.labels[k] for k in ("positive", "neutral", "negative")},
            "share": {k: round(w.labels[k] / n, 4) for k in ("positive", "neutral", "negative")},
            "mean_score": round(w.score / n, 4),
            "trend_unit": "hour" if hourly else "day",
            "trend": [b.row(t) for t, b in buckets],
        }

    @staticmethod
    def _activity(w: Window, staff: set[str], segs: dict[str, list[str]],
                  responsiveness: float | None) -> dict[str, object]:  # fmt: skip
        dau = statistics.mean(len(b.members) for b in w.days.values())
        wau = statistics.mean(len(m) for m in w.weeks.values())
        top = sorted(w.members.items(), key=lambda kv: -kv[1].messages)[:5]
        busiest = max(w.hours.items(), key=lambda kv: kv[1].messages)[0]
        activity: dict[str, object] = {
            "messages": w.count, "members": len(w.members), "active_members": len(w.members),
            "new_members": len(segs["新成员"]), "returning_members": sum(len(m.days) >= 2 for m in w.members.values()),
            "dau": round(dau, 1), "wau": round(wau, 1), "participation_rate": round(dau / max(len(w.members), 1), 4),
            "busiest_hour": busiest.isoformat(), "top_members": [{"member": n, "messages": m.messages} for n, m in top],
            "staff": None,
        }  # fmt: skip
        if w.unanswered is not None:
            u = w.unanswered
            activity["staff"] = {
                "names": sorted(staff & set(w.members)), "messages": sum(w.members[s].messages for s in staff
                                                                         if s in w.members),
                "questions": u.asked, "reply_rate": None if responsiveness is None else round(responsiveness, 4),
                "median_response_minutes": round(statistics.median(u.response_minutes), 1) if u.response_minutes
                else None, "target_minutes": u.target.total_seconds() / 60,
            }  # fmt: skip
        return activity

    def _narrate(self, summary: Summary) -> Summary:
        offline_text = narrative.write(summary)
        if self.chat_model is None or self.prompt is None:
            return summary.model_copy(update={"summary": offline_text})
        try:
            text = llm_engine.write(self.chat_model, self.prompt, summary)
        except LLMUnavailable as exc:
            fallback = {"engine": "llm→offline", "fallback_reason": str(exc)[:300], "prompt_version": self.prompt.ref}
            return summary.model_copy(update={"summary": offline_text, **fallback})
        return summary.model_copy(update={"summary": text, "engine": "llm", "prompt_version": self.prompt.ref})
