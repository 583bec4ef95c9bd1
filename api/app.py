"""The FastAPI application factory: settings in, app out (tests build their own)."""

from __future__ import annotations

from importlib.metadata import version

from fastapi import FastAPI

from api import errors
from api.routes import answers, chat, drafts, health, knowledge, moderations
from assistant.answering.service import Answerer
from assistant.drafting.service import Drafter
from assistant.moderation.engine import ModerationService
from assistant.retrieval.index import KnowledgeIndex
from assistant.settings import Settings, get_settings


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    app = FastAPI(
        title="shequn (社群) API",
        version=version("shequn"),
        description="Offline-first assistant for Chinese community operators: FAQ search, moderation, drafting.",
    )
    app.state.settings = settings
    app.state.index = KnowledgeIndex(settings)
    app.state.moderation = ModerationService(settings)
    app.state.answerer = Answerer.from_settings(settings, app.state.index, app.state.moderation)
    app.state.drafter = Drafter(settings, app.state.index, app.state.moderation, app.state.answerer.llm)
    errors.install(app)
    app.include_router(health.router)
    app.include_router(knowledge.router)
    app.include_router(moderations.router)
    app.include_router(answers.router)
    app.include_router(chat.router)
    app.include_router(drafts.router)
    return app
