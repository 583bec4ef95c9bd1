"""Request dependencies: everything comes from the ``Services`` built once on ``app.state``."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from assistant.answering.service import Answerer
from assistant.communities import Communities
from assistant.drafting.service import Drafter
from assistant.moderation.engine import ModerationService
from assistant.retrieval.index import KnowledgeIndex
from assistant.services import Services
from assistant.settings import Settings


def _services(request: Request) -> Services:
    return request.app.state.services  # type: ignore[no-any-return]


ServicesDep = Annotated[Services, Depends(_services)]


def _settings(services: ServicesDep) -> Settings:
    return services.settings


def _index(services: ServicesDep) -> KnowledgeIndex:
    return services.index


def _communities(services: ServicesDep) -> Communities:
    return services.communities


def _moderation(services: ServicesDep) -> ModerationService:
    return services.moderation


def _answerer(services: ServicesDep) -> Answerer:
    return services.answerer


SettingsDep = Annotated[Settings, Depends(_settings)]
IndexDep = Annotated[KnowledgeIndex, Depends(_index)]
CommunitiesDep = Annotated[Communities, Depends(_communities)]
ModerationDep = Annotated[ModerationService, Depends(_moderation)]
AnswererDep = Annotated[Answerer, Depends(_answerer)]


def _drafter(services: ServicesDep) -> Drafter:
    return services.drafter


DrafterDep = Annotated[Drafter, Depends(_drafter)]
