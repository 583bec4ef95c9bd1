"""Request dependencies: everything comes from the ``Services`` built once on ``app.state``.
They are ``async`` because they only read attributes: FastAPI runs a plain ``def`` dependency
in its thread pool, a hop that cost more than moderating a message."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from assistant.answering.service import Answerer
from assistant.communities import Communities
from assistant.drafting.service import Drafter
from assistant.retrieval.index import KnowledgeIndex
from assistant.services import Services
from assistant.settings import Settings

#: Requests of up to this many characters are served on the event loop when nothing has to be
#: read from disk or asked of an LLM (a moderation costs ~3 µs a character, an answer ~1.5 ms):
#: a worker thread's hop, and 32 threads contending for the GIL, cost more than the work.
#: Longer input, a model still to load and LLM calls go to the thread pool.
INLINE_CHARS = 1000


def services_of(request: Request) -> Services:
    """For the per-message routes: a dependency, even this one, costs ~11 µs of solving a request."""
    return request.app.state.services  # type: ignore[no-any-return]


async def _services(request: Request) -> Services:
    return services_of(request)


ServicesDep = Annotated[Services, Depends(_services)]


async def _settings(services: ServicesDep) -> Settings:
    return services.settings


async def _index(services: ServicesDep) -> KnowledgeIndex:
    return services.index


async def _communities(services: ServicesDep) -> Communities:
    return services.communities


async def _answerer(services: ServicesDep) -> Answerer:
    return services.answerer


SettingsDep = Annotated[Settings, Depends(_settings)]
IndexDep = Annotated[KnowledgeIndex, Depends(_index)]
CommunitiesDep = Annotated[Communities, Depends(_communities)]
AnswererDep = Annotated[Answerer, Depends(_answerer)]


async def _drafter(services: ServicesDep) -> Drafter:
    return services.drafter


DrafterDep = Annotated[Drafter, Depends(_drafter)]
