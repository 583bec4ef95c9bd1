"""The Q&A pipeline: moderate the question → read a reply to our clarifying question, or
rewrite follow-ups and retrieve within the community → answer / clarify / hand off (the LLM
engine, when configured, writes only the answers the offline engine would give, or hands them
off) → moderate the answer → log what was not answered."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial

from assistant.answering import clarify, followup, llm_engine, offline
from assistant.answering.models import AnswerResult, Citation, Decision, Handoff, Turn
from assistant.answering.policy import AnsweringPolicy
from assistant.clock import Clock, utc_now
from assistant.communities import Communities
from assistant.llm import LLM, with_fallback
from assistant.llm.base import ChatModel, LLMUnavailable
from assistant.moderation import outgoing
from assistant.moderation.engine import ModerationService, Moderator
from assistant.moderation.models import Verdict
from assistant.moderation.policy import STRONG_EVIDENCE
from assistant.prompts import Prompt, load_prompt
from assistant.retrieval.index import KnowledgeIndex
from assistant.retrieval.models import SearchHit
from assistant.settings import Settings
from assistant.store.question_log import LoggedQuestion, QuestionLog
from assistant.text import fold

#: Entries retrieved per question (and shown to the LLM engine as passages).
CANDIDATES = 5


@dataclass
class _Outcome:
    decision: Decision
    answer: str
    hits: list[SearchHit]
    reason: str | None
    engine: str
    confidence: float
    prompt_version: str | None = None
    fallback_reason: str | None = None


class Answerer:
    """Thread-safe; build one per process (``Services.answerer``) and share it."""

    def __init__(
        self,
        settings: Settings,
        index: KnowledgeIndex,
        moderation: ModerationService,
        communities: Communities,
        llm: ChatModel | None = None,
        log: QuestionLog | None = None,
        now: Clock = utc_now,
    ) -> None:
        self.settings, self.index, self.moderation, self.llm, self.log = settings, index, moderation, llm, log
        self.communities, self.now = communities, now
        self._answer_prompt: Prompt | None = None
        self._rewrite_prompt: Prompt | None = None
        if llm is not None:
            self._answer_prompt = load_prompt(settings.prompts_dir, "answer", 1)
            self._rewrite_prompt = load_prompt(settings.prompts_dir, "rewrite", 1)

    def policy(self, community: str | None) -> AnsweringPolicy:
        return self.communities.answering_policy(community)

    def answer(
        self, question: str, community: str | None = None, history: Sequence[Turn] = (), member: str | None = None
    ) -> AnswerResult:
        """Raises ``InvalidCommunity`` / ``UnknownCommunity`` for a community it cannot answer
        for; never raises because a model failed (the offline engine answers instead)."""
        result, log = self.answer_unlogged(question, community, history, member)
        if log is not None:
            log()
        return result

    def warm(self, community: str | None) -> Moderator | None:
        """The community's moderator when answering for it reads no file and calls no model:
        offline, its moderator and knowledge loaded and current (a few ``stat`` calls to tell);
        else None. Hand it to ``answer_unlogged`` so those files are checked once."""
        if self.llm is not None or not self.index.warm(community):
            return None
        return self.moderation.ready(community)

    def answer_unlogged(
        self, question: str, community: str | None = None, history: Sequence[Turn] = (), member: str | None = None,
        moderator: Moderator | None = None,
    ) -> tuple[AnswerResult, Callable[[], None] | None]:  # fmt: skip
        """``answer`` without its question-log write, returned to be run (blocking I/O: the API
        answers on its event loop and writes in a worker thread). ``moderator``: from ``warm``."""
        community = self.communities.resolve(community)
        policy = self.policy(community)
        moderator = moderator or self.moderation.moderator(community)
        verdict = moderator.moderate(question)
        # A reply to our clarifying question is read only when our closed grammar ("2", "第二个",
        # "都不是") matches all of it: nothing in it can be risky, whatever a classifier says.
        reply_to_ask = clarify.read_reply(question, history, policy)
        risky = verdict.risky and reply_to_ask is None
        blocking = [c for c in verdict.categories if c not in policy.answer_despite] if risky else []
        if blocking:
            reply = next((policy.category_replies[c] for c in blocking if c in policy.category_replies), None)
            if reply is None and _only_suspected(verdict, blocking):
                reason = f"possible risk for a person to check: {', '.join(blocking)} (weak model score, no rule)"
                outcome = _Outcome("handoff", policy.handoff_reply, [], reason, "offline", 0.0)
            else:
                outcome = _Outcome("refuse", reply or policy.refuse_reply, [], f"risky question: {', '.join(blocking)}",
                                   "offline", 0.0)  # fmt: skip
            return self._result(outcome, question, verdict), None
        if reply_to_ask is not None:
            outcome = self._resolve_reply(reply_to_ask, policy, community, member)
            result = self._result(outcome, reply_to_ask.question, verdict)
            return result, partial(self._log_reply, reply_to_ask, result, community)
        query, hits, rewrite_error = self.retrieve(question, community, history)
        outcome = self._offline(hits, policy, community, member)
        # The offline engine's decision bounds the model's: it writes (or withdraws) an answer
        # only where a confident match's curated answer could be sent. Where the offline engine
        # asks back or hands off, that stands: a question moderation let through but nothing in
        # the knowledge base clearly answers (a rumour to spread, a refund to fake, a member in
        # crisis) is never answered on the model's word alone.
        if self.llm is not None and outcome.decision == "answer":
            outcome = self._with_llm(outcome, question, history, hits, policy, community)
        if rewrite_error and outcome.fallback_reason is None:
            outcome.fallback_reason = rewrite_error
        result = self._result(outcome, query, verdict)
        if result.decision in ("handoff", "clarify") and self.log is not None:
            return result, partial(
                self._log_unanswered, self.log, community, question, query, result, [h.id for h in hits]
            )
        return result, None

    def _log_unanswered(
        self, log: QuestionLog, community: str | None, question: str, query: str, result: AnswerResult,
        candidates: list[str],
    ) -> None:  # fmt: skip
        log.add(
            LoggedQuestion(
                at=self.now(),
                community=community,
                question=question,
                query=query,
                decision=result.decision,
                reason=result.handoff.reason or "",
                confidence=result.confidence,
                candidates=candidates,
            )
        )

    def _log_reply(self, reply: clarify.Reply, result: AnswerResult, community: str | None) -> None:
        """The question we asked back about is logged already: the reply settles that row (the
        member chose an entry, or none fits) instead of counting the question twice."""
        if self.log is None:
            return
        cited = [c.id for c in result.citations]
        decision: str = result.decision
        reason = result.handoff.reason or ""
        if decision == "answer":
            decision, reason = "chosen", f"the member chose {cited[0]} when asked back"
        settled = self.log.settle(community, reply.question, decision, reason, cited)
        if not settled and decision == "handoff":
            self._log_unanswered(self.log, community, reply.question, reply.question, result, cited)

    # ---- steps --------------------------------------------------------------------------

    def retrieve(
        self, question: str, community: str | None, history: Sequence[Turn] = ()
    ) -> tuple[str, list[SearchHit], str | None]:
        """The query searched (the question, or a rewrite when it leans on the conversation),
        the FAQ entries found, and why the LLM rewrite was not used if it failed."""
        hits = self._search(question, community)
        previous = followup.previous_questions(history)
        if not previous:
            return question, hits, None
        query, error = question, None
        leaning = followup.is_follow_up(question, self.index.tokenizer.words(question))
        if leaning or not hits or hits[0].confidence < followup.ALONE_CONFIDENCE:
            query = followup.with_topic(question, history, self.index.tokenizer)
            if self.llm is not None and self._rewrite_prompt is not None:
                try:
                    query = llm_engine.rewrite_query(self.llm, self._rewrite_prompt, question, history)
                except LLMUnavailable as exc:
                    error = f"rewrite: {exc}"
            hits = self._search(query, community)
        answered = self._search(previous[-1], community)[:1]
        if answered:
            hits = sorted(
                (h.model_copy(update={"confidence": round(h.confidence * followup.ANSWERED_PENALTY, 4)})
                 if h.id == answered[0].id else h for h in hits),
                key=lambda h: -h.confidence,
            )  # fmt: skip
        return query, hits, error

    def _search(self, query: str, community: str | None) -> list[SearchHit]:
        return self.index.search(query, community, k=CANDIDATES, kinds={"faq"})

    def _offline(
        self, hits: list[SearchHit], policy: AnsweringPolicy, community: str | None, member: str | None
    ) -> _Outcome:
        planned = offline.plan(hits, policy)
        confidence = hits[0].confidence if hits else 0.0
        if planned.decision == "clarify":
            text = clarify.clarify_text(planned.hits, policy)
            return _Outcome("clarify", text, planned.hits, planned.reason, "offline", confidence)
        if planned.decision == "answer":
            return self._curated_answer(planned.hits[0], policy, community, member)
        return _Outcome("handoff", policy.handoff_reply, [], planned.reason, "offline", confidence)

    def _resolve_reply(
        self, reply: clarify.Reply, policy: AnsweringPolicy, community: str | None, member: str | None
    ) -> _Outcome:
        """The member picked an entry we offered (answer it) or said none fits (a person takes over)."""
        if reply.chosen is None:
            reason = "the member said none of the entries offered answers the question"
            return _Outcome("handoff", policy.handoff_reply, [], reason, "offline", 0.0)
        hit = next((h for h in self._search(reply.chosen, community) if h.title == reply.chosen), None)
        if hit is None:
            reason = f"the entry the member chose ({reply.chosen}) is no longer in the knowledge base"
            return _Outcome("handoff", policy.handoff_reply, [], reason, "offline", 0.0)
        return self._curated_answer(hit, policy, community, member)

    def _curated_answer(
        self, hit: SearchHit, policy: AnsweringPolicy, community: str | None, member: str | None
    ) -> _Outcome:
        """The entry's own answer, slots filled; a person instead if it cannot be sent as is."""
        record = self.index.entry(hit.id, community)
        try:
            if record is None:
                raise offline.UnsafeSlot(f"entry {hit.id} was removed while answering")
            text = offline.fill_slots(record.body, {"member": member or policy.member_default})
        except offline.UnsafeSlot as exc:
            return _Outcome("handoff", policy.handoff_reply, [hit], str(exc), "offline", hit.confidence)
        flagged = self.sending_risk(self.staff_verdict(text, community), community)
        if flagged:
            reason = f"the curated answer of {hit.id} may not be sent: {flagged}"
            return _Outcome("handoff", policy.handoff_reply, [hit], reason, "offline", hit.confidence)
        return _Outcome("answer", text, [hit], None, "offline", hit.confidence)

    def _with_llm(
        self, fallback: _Outcome, question: str, history: Sequence[Turn], hits: list[SearchHit],
        policy: AnsweringPolicy, community: str | None,
    ) -> _Outcome:  # fmt: skip
        assert self.llm is not None and self._answer_prompt is not None
        llm, prompt = self.llm, self._answer_prompt
        records = [r for r in (self.index.entry(h.id, community) for h in hits) if r is not None]

        def written_by_the_model() -> _Outcome:
            draft = llm_engine.draft_answer(llm, prompt, community, question, history, records)
            verdict = self.staff_verdict(draft.answer, community)  # one moderation, read two ways
            flagged = self.added_risk(verdict, [r.body for r in records], policy) or self.sending_risk(
                verdict, community
            )
            if flagged and not draft.needs_handoff:
                raise LLMUnavailable(f"the model's answer was flagged by moderation ({flagged})")
            by_id = {h.id: h for h in hits}
            cited = [by_id[c] for c in draft.citations]
            if draft.needs_handoff:
                reason = draft.reason or "the model found no answer in the knowledge base"
                text = draft.answer.strip() if draft.answer.strip() and not flagged else policy.handoff_reply
                return _Outcome("handoff", text, cited, reason, LLM, draft.confidence, prompt.ref)
            return _Outcome("answer", draft.answer.strip(), cited, None, LLM, draft.confidence, prompt.ref)

        result = with_fallback(written_by_the_model, lambda: fallback)
        if result.fallback_reason is not None:
            fallback.engine, fallback.prompt_version, fallback.fallback_reason = (
                result.engine,
                prompt.ref,
                result.fallback_reason,
            )
        return result.value

    def staff_verdict(self, text: str, community: str | None) -> Verdict:
        """``text`` moderated as what the community itself sends (source: staff)."""
        return self.moderation.moderator(community).moderate(text, source="staff")

    def sending_risk(self, verdict: Verdict, community: str | None) -> str:
        """Why the text may not go out in the community's name (contacts, links and card
        numbers not its own, requests for codes or money, terms no answer may carry), or ""."""
        profile = self.communities.profile(community)
        return outgoing.describe(outgoing.blockers(verdict, profile.contacts if profile else []))

    def added_risk(self, verdict: Verdict, sources: Sequence[str], policy: AnsweringPolicy) -> str:
        """Risk the answer adds to its sources: a rule finding (term, contact, link, request)
        whose text is not in the passages it was drawn from. The full engine flags 39 of the 162
        curated sample answers (refund and payment wording, the official hotline; 25 with the
        classifier's help), and the passages are the operator's own vetted knowledge."""
        known = fold(" ".join(sources))
        added = {
            e.category
            for check in verdict.checks if check.kind == "rule"
            for e in check.evidence
            if e.category not in policy.answer_despite and fold(e.text) not in known
        }  # fmt: skip
        return ", ".join(sorted(added))

    def _result(self, outcome: _Outcome, query: str, verdict: Verdict) -> AnswerResult:
        needs_person = outcome.decision in ("handoff", "refuse")
        return AnswerResult(
            decision=outcome.decision,
            answer=outcome.answer,
            citations=[Citation(id=h.id, kind=h.kind, title=h.title, score=h.confidence) for h in outcome.hits],
            confidence=round(outcome.confidence, 4),
            handoff=Handoff(needed=needs_person, reason=outcome.reason if needs_person else None),
            engine=outcome.engine,
            prompt_version=outcome.prompt_version,
            query=query,
            moderation=verdict,
            fallback_reason=outcome.fallback_reason,
        )


def _only_suspected(verdict: Verdict, categories: Sequence[str]) -> bool:
    """Only the classifier, and weakly, finds these categories: telling the member their
    question breaks the rules would be an accusation on a guess, so a person looks instead."""
    ruled = any(c.kind in ("rule", "llm") and any(s > 0 for k, s in c.scores.items() if k in categories)
                for c in verdict.checks)  # fmt: skip
    return not ruled and all(verdict.scores.get(c, 0.0) < STRONG_EVIDENCE for c in categories)
