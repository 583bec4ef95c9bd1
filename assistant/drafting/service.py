"""Scheduled posts: plan → draft (scripts + brief + FAQ facts) → compliance gate → review →
delivery. Build one ``Drafter`` per process and share it; every time comes from ``now``."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from functools import cached_property
from typing import Any
from zoneinfo import ZoneInfo

from assistant.drafting import calendar, llm_engine, offline
from assistant.drafting.checks import CheckContext, run_checks
from assistant.drafting.models import DEFAULT_THEMES, AuditEntry, Brief, Composed, Draft, GateResult, Plan, Status
from assistant.drafting.store import Conflict, DraftRow, DraftStore, SlotTaken, to_draft, utc
from assistant.ids import UnknownCommunity
from assistant.knowledge.loader import load_knowledge
from assistant.knowledge.models import CommunityProfile, Script
from assistant.llm import FALLBACK, with_fallback
from assistant.llm.base import ChatModel, LLMUnavailable
from assistant.moderation.engine import ModerationService
from assistant.prompts import Prompt, load_prompt
from assistant.retrieval.index import KnowledgeIndex
from assistant.settings import Settings

#: A process that claimed a slot and died leaves it ``planned``; after this another one drafts it.
DRAFT_LEASE = dt.timedelta(minutes=5)
#: Kinds whose posts may carry a fact from the FAQ (rules, hours, how to sign up).
FACT_KINDS = frozenset({"promotion", "activity_notice", "activity_preview", "live_notice"})
#: A FAQ entry must match the brief this well for one of its sentences to join the post.
FACT_CONFIDENCE = 0.75
FACT_MAX_CHARS = 60
#: Scripts that take turns week by week for a slot with no brief.
ROTATION = 4
#: Scripts scoring at least this share of the best match take turns week by week.
CLOSE_MATCH = 0.85
EDITABLE: tuple[Status, ...] = ("drafted", "failed_checks", "pending_review", "approved", "rejected")
REDRAFTABLE: tuple[Status, ...] = ("planned", "drafted", "failed_checks", "pending_review", "rejected")

Clock = Callable[[], dt.datetime]


class DraftingError(ValueError):
    """The request cannot be drafted (no script of that kind, bad brief)."""


def _system_clock() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _domains(contacts: Sequence[str]) -> list[str]:
    """The profile's own contacts that are domains (xiaoyabeibei.com): links to them are its own."""
    return [c for c in contacts if "." in c and "@" not in c and not c.replace("-", "").isdigit()]


class Drafter:
    def __init__(
        self, settings: Settings, index: KnowledgeIndex, moderation: ModerationService,
        chat_model: ChatModel | None = None, now: Clock | None = None, store: DraftStore | None = None,
    ) -> None:  # fmt: skip
        self.settings, self.index, self.moderation, self.chat_model = settings, index, moderation, chat_model
        self._clock: Clock = now or _system_clock
        self.store = store or DraftStore(settings.database)
        self._prompt: Prompt | None = load_prompt(settings.prompts_dir, "draft", 1) if chat_model else None

    def now(self) -> dt.datetime:
        """The injected clock's time, in UTC: the database stores naive UTC (SQLite keeps no zone)."""
        return self._clock().astimezone(dt.UTC)

    # ---- knowledge ---------------------------------------------------------------------

    @cached_property
    def _library(self) -> tuple[dict[str, CommunityProfile], list[Script]]:
        loaded = load_knowledge(self.settings.knowledge_dir)
        return {p.id: p for p in loaded.communities}, [i for i in loaded.items if isinstance(i, Script)]

    def communities(self) -> list[str]:
        """Communities the registry knows that have a profile to draft in."""
        known = self.moderation.communities.known()
        return [c for c in known if c in self._library[0] or self.moderation.communities.profile(c)]

    def profile(self, community: str) -> CommunityProfile:
        """The profile saved at ingest, else the one in the knowledge folder; raises
        ``InvalidCommunity`` / ``UnknownCommunity`` for a name the registry does not know."""
        resolved = self.moderation.communities.resolve(community)
        profile = self.moderation.communities.profile(resolved) or self._library[0].get(str(resolved))
        if profile is None:
            raise UnknownCommunity(community)
        return profile

    # ---- plans and calendar ------------------------------------------------------------

    def plan(self, community: str) -> Plan:
        profile = self.profile(community)
        return self.store.plan(community) or calendar.plan_from_profile(profile.weekly_plan, profile.posting_times)

    def set_plan(self, community: str, plan: Plan) -> Plan:
        self.profile(community)
        self.store.set_plan(community, plan, self.now())
        return plan

    def calendar(self, community: str, start: dt.date, end: dt.date) -> dict[str, Any]:
        """The contract of ``shequn calendar``: ``{community, slots, holidays}``."""
        slots = calendar.slots(self.plan(community), start, end)
        return {
            "community": community,
            "slots": [{**s.model_dump(mode="json"), "date": s.date.isoformat()} for s in slots],
            "holidays": [h.model_dump(mode="json") for h in calendar.holidays(start, end)],
        }

    def today(self, community: str) -> dt.date:
        return self.now().astimezone(ZoneInfo(self.plan(community).timezone)).date()

    # ---- composing and checking ----------------------------------------------------------

    def check(
        self, text: str, community: str, must_include: Sequence[str] = (), must_avoid: Sequence[str] = (),
        date: dt.date | None = None, exclude: int | None = None, recent: Sequence[tuple[str, str]] | None = None,
        plan: Plan | None = None, scripts: Sequence[str] = (), profile: CommunityProfile | None = None,
    ) -> GateResult:  # fmt: skip
        """The gate a post must pass, drafted or written by hand. ``recent`` and ``plan``
        default to the stored posts of the last ``duplicate_weeks`` and the plan in force;
        ``scripts`` are the ids of the library scripts the post was drafted from."""
        profile, plan = profile or self.profile(community), plan or self.plan(community)
        own = {"contacts": [*plan.contacts, *profile.contacts],
               "allowed_links": [*plan.allowed_links, *_domains(profile.contacts)]}  # fmt: skip
        plan = plan.model_copy(update=own)
        if recent is None:
            since = (date or self.today(community)) - dt.timedelta(weeks=plan.duplicate_weeks)
            recent = self.store.recent_texts(community, since, exclude) if plan.duplicate_weeks else []
        context = CheckContext(
            plan=plan, moderator=self.moderation.moderator(community), banned_words=profile.banned_words,
            must_include=must_include, must_avoid=must_avoid, recent=recent,
            sources=[profile.name, *(s.body for s in self._library[1] if s.id in set(scripts))],
        )  # fmt: skip
        return run_checks(text, context)

    def compose(
        self, brief: Brief, exclude: int | None = None, recent: Sequence[tuple[str, str]] | None = None
    ) -> tuple[Composed, GateResult]:
        """The best post for the brief: the LLM's if configured and it passes, else the first
        offline variant (in this date's rotation) that passes — so not a near-copy of a recent
        post — else the one failing fewest checks. ``recent`` defaults to the stored posts."""
        profile, plan = self.profile(brief.community), self.plan(brief.community)
        theme = brief.theme or DEFAULT_THEMES.get(brief.kind, brief.kind)
        time = brief.time or plan.time_for(brief.kind)
        scripts = self._scripts(brief, theme)
        if not scripts:
            raise DraftingError(f"no script of kind {brief.kind!r} for community {brief.community!r}")
        facts = self._facts(brief)
        if recent is None and plan.duplicate_weeks:  # read once for every variant tried
            since = brief.date - dt.timedelta(weeks=plan.duplicate_weeks)
            recent = self.store.recent_texts(brief.community, since, exclude)

        def gate(composed: Composed) -> GateResult:
            return self.check(composed.text, brief.community, brief.must_include, brief.must_avoid, brief.date, exclude,
                              recent or [], plan, composed.scripts, profile)  # fmt: skip

        def offline_engine() -> tuple[Composed, GateResult]:
            best: tuple[Composed, GateResult] | None = None
            for script, with_facts in [(s, facts) for s in scripts] + ([(s, []) for s in scripts] if facts else []):
                composed = offline.compose(script, brief.model_copy(update={"time": time}), time, profile, plan,
                                           with_facts)  # fmt: skip
                result = gate(composed)
                if best is None or len(result.failed) < len(best[1].failed):
                    best = (composed, result)
                if result.passed:
                    break
            assert best is not None
            return best

        def llm() -> tuple[Composed, GateResult]:
            assert self.chat_model is not None and self._prompt is not None
            composed = llm_engine.draft(self.chat_model, self._prompt, profile, brief, theme, plan, scripts[:4], facts)
            result = gate(composed)
            if not result.passed:
                raise LLMUnavailable(f"the model's post failed checks: {', '.join(result.failed)}")
            return composed, result

        engined = with_fallback(llm if self._prompt is not None else None, offline_engine)
        composed, result = engined.value
        if engined.engine == FALLBACK:
            composed = composed.model_copy(
                update={
                    "engine": FALLBACK,
                    "fallback_reason": engined.fallback_reason,
                    "prompt_version": self._prompt.ref if self._prompt else None,
                }
            )
        return composed, result

    def _scripts(self, brief: Brief, theme: str) -> list[Script]:
        """Scripts of the kind, best match first, rotated by date so weeks differ."""
        pool = [s for s in self._library[1] if s.kind == brief.kind and s.community in (brief.community, None)]
        festive = [s for s in pool if s.holiday and s.holiday in theme]
        pool = festive or pool
        order = {s.id: i for i, s in enumerate(pool)}
        scores: dict[str, float] = {}
        if brief.brief.strip() or len(pool) > ROTATION:  # else every script takes its turn in any order
            try:
                hits = self.index.search(f"{theme} {brief.brief}", brief.community, k=40, kinds={"script"})
                scores = {h.id: h.score for h in hits}
            except UnknownCommunity:
                pass
        pool.sort(key=lambda s: (-scores.get(s.id, 0.0), order[s.id]))
        top = pool[:ROTATION]
        if brief.brief.strip() and pool:  # a brief narrows the rotation to the scripts that fit it about as well
            best = scores.get(pool[0].id, 0.0)
            top = [s for s in top if scores.get(s.id, 0.0) >= CLOSE_MATCH * best]
        turn = offline.Variation.of(brief.community, brief.kind, brief.date).rotation(len(top))
        return [top[i] for i in turn] + pool[len(top) :]

    def _facts(self, brief: Brief) -> list[str]:
        if brief.kind not in FACT_KINDS or not brief.brief.strip():
            return []
        try:
            hits = self.index.search(brief.brief, brief.community, k=1, kinds={"faq"})
        except UnknownCommunity:
            return []
        if not hits or hits[0].confidence < FACT_CONFIDENCE:
            return []
        record = self.index.entry(hits[0].id, brief.community)
        sentence = record.body.replace("！", "。").split("。")[0].strip() + "。" if record else ""
        return [sentence] if 1 < len(sentence) <= FACT_MAX_CHARS and "{" not in sentence else []

    # ---- the workflow ------------------------------------------------------------------

    def draft(self, brief: Brief, actor: str = "operator") -> Draft:
        """Drafts (or re-drafts) the slot and files it for review; an approved or delivered
        post is never overwritten."""
        plan = self.plan(brief.community)
        time = brief.time or plan.time_for(brief.kind)
        brief = brief.model_copy(update={"time": time, "theme": brief.theme or DEFAULT_THEMES.get(brief.kind)})
        row = self.store.find_slot(brief.community, brief.date, time, brief.kind)
        if row is None:
            try:
                row = self.store.claim(self._row(brief, plan), actor, self.now())
            except SlotTaken:
                row = self.store.find_slot(brief.community, brief.date, time, brief.kind)
                assert row is not None
        if row.status not in REDRAFTABLE:
            raise Conflict(f"draft {row.id} for that slot is {row.status}; edit it instead")
        return self._fill(row, brief, actor, REDRAFTABLE)

    def _row(self, brief: Brief, plan: Plan) -> DraftRow:
        local = dt.datetime.combine(brief.date, dt.time.fromisoformat(str(brief.time)), ZoneInfo(plan.timezone))
        return DraftRow(community=brief.community, slot_date=brief.date, slot_time=brief.time, kind=brief.kind,
                        theme=brief.theme or "", brief=brief.brief, must_include=brief.must_include,
                        must_avoid=brief.must_avoid, due_at=local.astimezone(dt.UTC), status="planned",
                        claimed_until=self.now() + DRAFT_LEASE)  # fmt: skip

    def _fill(self, row: DraftRow, brief: Brief, actor: str, allowed: tuple[Status, ...]) -> Draft:
        composed, gate = self.compose(brief, exclude=row.id)
        checks = [c.model_dump() for c in gate.checks]
        row = self.store.transition(
            row.id, allowed, "drafted", actor, "draft" if row.status == "planned" else "redraft", self.now(),
            text=composed.text, scripts=composed.scripts, engine=composed.engine, checks=checks,
            fallback_reason=composed.fallback_reason, brief=brief.brief, must_include=brief.must_include,
            must_avoid=brief.must_avoid, claimed_until=None,
        )  # fmt: skip
        return self._after_checks(row, gate, "system")

    def _after_checks(self, row: DraftRow, gate: GateResult, actor: str) -> Draft:
        status: Status = "pending_review" if gate.passed else "failed_checks"
        row = self.store.transition(row.id, ("drafted",), status, actor, "check", self.now(),
                                    note={"failed_checks": gate.failed})  # fmt: skip
        if gate.passed and row.kind in self.plan(row.community).auto_approve:
            row = self.store.transition(row.id, ("pending_review",), "approved", "auto", "approve", self.now())
        return to_draft(row)

    def get(self, draft_id: int) -> Draft:
        row = self.store.get(draft_id)
        if row is None:
            raise LookupError(f"no draft {draft_id}")
        return to_draft(row)

    def drafts(self, community: str | None = None, status: str | None = None) -> list[Draft]:
        return [to_draft(r) for r in self.store.rows(community, status)]

    def audit(self, draft_id: int) -> list[AuditEntry]:
        self.get(draft_id)
        return self.store.audit(draft_id)

    def edit(self, draft_id: int, text: str, actor: str = "operator") -> Draft:
        """An operator's rewrite: the checks run again and the post goes back to review."""
        row = self._row_of(draft_id)
        gate = self.check(text, row.community, row.must_include, row.must_avoid, row.slot_date, exclude=row.id,
                          scripts=row.scripts or [])  # fmt: skip
        checks = [c.model_dump() for c in gate.checks]
        row = self.store.transition(draft_id, EDITABLE, "drafted", actor, "edit", self.now(), text=text,
                                    checks=checks, engine="operator")  # fmt: skip
        return self._after_checks(row, gate, actor)

    def approve(self, draft_id: int, actor: str = "operator") -> Draft:
        row = self._row_of(draft_id)
        if row.status == "failed_checks":
            raise Conflict(f"draft {draft_id} failed checks; edit it until they pass")
        return to_draft(self.store.transition(draft_id, ("pending_review",), "approved", actor, "approve", self.now()))

    def reject(self, draft_id: int, actor: str = "operator", reason: str = "") -> Draft:
        allowed: tuple[Status, ...] = ("drafted", "failed_checks", "pending_review", "approved")
        return to_draft(self.store.transition(draft_id, allowed, "rejected", actor, "reject", self.now(),
                                              note={"reason": reason} if reason else None))  # fmt: skip

    def due(self, community: str | None = None) -> list[Draft]:
        if community is not None:
            self.profile(community)
        return [to_draft(r) for r in self.store.due(self.now(), community)]

    def delivered(self, draft_id: int, actor: str = "bot") -> Draft:
        """Atomic: of two bots acking the same post, one wins and the other gets ``Conflict``."""
        self._row_of(draft_id)
        now = self.now()
        return to_draft(self.store.transition(draft_id, ("approved",), "delivered", actor, "deliver", now,
                                              delivered_at=now))  # fmt: skip

    def _row_of(self, draft_id: int) -> DraftRow:
        row = self.store.get(draft_id)
        if row is None:
            raise LookupError(f"no draft {draft_id}")
        return row

    def plan_ahead(self, community: str) -> list[Draft]:
        """Drafts every slot from today to ``lead_days`` ahead that no process has drafted yet."""
        plan = self.plan(community)
        start = self.today(community)
        drafted = []
        for slot in calendar.slots(plan, start, start + dt.timedelta(days=plan.lead_days)):
            brief = Brief(community=community, kind=slot.kind, date=slot.date, time=slot.time, theme=slot.theme,
                          brief=slot.brief, must_include=slot.must_include, must_avoid=slot.must_avoid)  # fmt: skip
            row = self.store.find_slot(community, slot.date, slot.time, slot.kind)
            if row is not None and (row.status != "planned" or utc(row.claimed_until) > self.now()):
                continue  # drafted already, or being drafted by another process right now
            try:
                row = row or self.store.claim(self._row(brief, plan), "worker", self.now())
            except SlotTaken:
                continue
            try:
                drafted.append(self._fill(row, brief, "worker", ("planned",)))
            except (Conflict, DraftingError):
                continue  # drafted meanwhile by another process, or nothing to draft it from
        return drafted
