"""Request dependencies: the shared settings and knowledge index live on ``app.state``."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from assistant.answering.service import Answerer
from assistant.drafting.service import Drafter
from assistant.moderation.engine import ModerationService
from assistant.retrieval.index import KnowledgeIndex
from assistant.settings import Settings


def _settings(request: Request) -> Settings:
    return request.app.state.settings  # type: ignore[no-any-return]


def _index(request: Request) -> KnowledgeIndex:
    return request.app.state.index  # type: ignore[no-any-return]


def _moderation(request: Request) -> ModerationService:
    return request.app.state.moderation  # type: ignore[no-any-return]


def _answerer(request: Request) -> Answerer:
    return request.app.state.answerer  # type: ignore[no-any-return]


SettingsDep = Annotated[Settings, Depends(_settings)]
IndexDep = Annotated[KnowledgeIndex, Depends(_index)]
ModerationDep = Annotated[ModerationService, Depends(_moderation)]
AnswererDep = Annotated[Answerer, Depends(_answerer)]


def _drafter(request: Request) -> Drafter:
    return request.app.state.drafter  # type: ignore[no-any-return]


DrafterDep = Annotated[Drafter, Depends(_drafter)]
