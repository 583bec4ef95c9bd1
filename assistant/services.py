"""Everything a process needs, built once from settings: the CLI, the API, the evals and the
benchmarks all start here, so each capability is wired in one place and tests can hand in a
fake chat model or a fake clock. Parts are built on first use: ``shequn moderate`` never opens
Chroma, ``shequn search`` never loads a classifier."""

from __future__ import annotations

import logging
import time
from functools import cached_property

from assistant import access
from assistant.access import Keyring
from assistant.answering.service import Answerer
from assistant.clock import Clock, utc_now
from assistant.communities import Communities
from assistant.drafting.service import Drafter
from assistant.knowledge.loader import LoadError, LoadResult
from assistant.knowledge.models import FaqEntry
from assistant.llm import make_chat_model
from assistant.llm.base import ChatModel
from assistant.moderation import outgoing
from assistant.moderation.engine import ModerationService
from assistant.retrieval.index import KnowledgeIndex
from assistant.retrieval.models import IngestReport
from assistant.sentiment.service import SentimentService
from assistant.settings import Settings
from assistant.store.api_keys import KeyStore
from assistant.store.audit import AuditLog
from assistant.store.question_log import QuestionLog

audit = logging.getLogger("shequn.audit")
#: Parts that do not depend on the chat model or the question log (``Services.sharing``).
SHAREABLE = ("index", "communities", "moderation")


class Services:
    def __init__(
        self, settings: Settings, chat_model: ChatModel | None = None, now: Clock = utc_now, log: bool = True
    ) -> None:
        self.settings, self.chat_model, self.now, self._log = settings, chat_model, now, log

    def sharing(self, chat_model: ChatModel | None, log: bool = False) -> Services:
        """Services with another chat model (and question-log setting) that share the parts built
        here that do not depend on it: no second Chroma client, no second classifier load."""
        other = Services(self.settings, chat_model, self.now, log)
        for part in SHAREABLE:
            other.__dict__[part] = getattr(self, part)
        return other

    @classmethod
    def from_settings(
        cls, settings: Settings, chat_model: ChatModel | None = None, now: Clock | None = None, log: bool = True
    ) -> Services:
        """``chat_model`` defaults to the configured one (None offline); ``log=False`` keeps
        evals from writing their questions into the operators' question log."""
        return cls(settings, chat_model or make_chat_model(settings), now or utc_now, log)

    @cached_property
    def index(self) -> KnowledgeIndex:
        """The knowledge index, with any batch a crashed ingest left half-written rolled back."""
        index = KnowledgeIndex(self.settings)
        for scope in index.recover():
            audit.warning("rolled back an interrupted ingest of %s to its last complete state", scope)
        return index

    @cached_property
    def communities(self) -> Communities:
        return Communities(self.settings, lambda: self.index.communities())

    @cached_property
    def moderation(self) -> ModerationService:
        return ModerationService(self.communities, self.chat_model)

    @cached_property
    def question_log(self) -> QuestionLog:
        return QuestionLog(self.settings.database, self.now)

    @cached_property
    def key_store(self) -> KeyStore:
        return KeyStore(self.settings.database, self.now)

    @cached_property
    def keyring(self) -> Keyring:
        """Keys from ``SHEQUN_API_KEYS`` (validated here, at start-up) and from the database."""
        env_keys = access.parse_api_keys(self.settings.api_keys.get_secret_value())
        return Keyring(env_keys, self.key_store.active, time.monotonic)

    @cached_property
    def audit_log(self) -> AuditLog:
        return AuditLog(self.settings.database, self.now)

    @cached_property
    def sentiment(self) -> SentimentService:
        return SentimentService(self.settings, self.moderation, self.chat_model, now=self.now)

    @cached_property
    def drafter(self) -> Drafter:
        return Drafter(self.settings, self.index, self.moderation, self.chat_model, self.now)

    @cached_property
    def answerer(self) -> Answerer:
        log = self.question_log if self._log else None
        return Answerer(self.settings, self.index, self.moderation, self.communities, self.chat_model, log, self.now)

    def ingest(self, loaded: LoadResult, workers: int = 1, allow_risky: bool = False) -> IngestReport:
        """Screens every entry as text the community will send (poisoned knowledge is refused
        with its evidence, or let through with an audit line), keeps the profiles, indexes."""
        self.communities.save_profiles(loaded.communities)
        risky = self.screen(loaded)
        if allow_risky:
            self.audit_risky(risky)
        elif risky:
            kept = [item for item in loaded.items if item.id not in risky]
            refused = [
                LoadError(loaded.sources[i], None, f"entry {i!r} refused as risky: {why}") for i, why in risky.items()
            ]
            loaded = LoadResult(kept, loaded.sources, loaded.communities, [*loaded.errors, *refused], loaded.files)
        return self.index.ingest(loaded, workers)

    @staticmethod
    def audit_risky(risky: dict[str, str]) -> None:
        for item_id, why in risky.items():
            audit.warning("risky entry %s ingested on the operator's override: %s", item_id, why)

    def screen(self, loaded: LoadResult) -> dict[str, str]:
        """Entry id → why it may not be sent, for the entries a member must never receive."""
        texts = [item.answer if isinstance(item, FaqEntry) else item.body for item in loaded.items]
        verdicts = self.moderation.generic().moderate_many(texts, source="staff")
        contacts: dict[str | None, list[str]] = {}  # read each community's profile once, not once per entry
        risky = {}
        for item, verdict in zip(loaded.items, verdicts, strict=True):
            if item.community not in contacts:
                contacts[item.community] = self.own_contacts(item.community)
            found = outgoing.blockers(verdict, contacts[item.community])
            if found:
                risky[item.id] = outgoing.describe(found)
        return risky

    def own_contacts(self, community: str | None) -> list[str]:
        """A community's own contacts; for shared entries, those of every community."""
        names = [community] if community else self.communities.known()
        return [c for name in names if (profile := self.communities.profile(name)) for c in profile.contacts]
