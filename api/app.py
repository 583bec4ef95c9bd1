"""The FastAPI application factory: settings (and optionally prebuilt services) in, app out."""

from __future__ import annotations

from importlib.metadata import version

from fastapi import FastAPI

from api import docs, errors, limits
from api.routes import answers, chat, drafts, evals, health, knowledge, moderations
from assistant.services import Services
from assistant.settings import Settings, get_settings


def create_app(settings: Settings | None = None, services: Services | None = None) -> FastAPI:
    """``services`` lets tests hand in fakes (a chat model, a clock) and run the app in process."""
    settings = settings or (services.settings if services else get_settings())
    app = FastAPI(
        title="shequn (社群) API",
        version=version("shequn"),
        description="Offline-first assistant for Chinese community operators: FAQ search, moderation, drafting.",
        docs_url=None,
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.services = services or Services.from_settings(settings)
    errors.install(app)
    limits.install(app, settings)
    docs.install(app)
    app.include_router(health.router)
    app.include_router(knowledge.router)
    app.include_router(moderations.router)
    app.include_router(answers.router)
    app.include_router(chat.router)
    app.include_router(drafts.router)
    app.include_router(evals.router)
    return app
