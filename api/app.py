"""The FastAPI application factory: settings (and optionally prebuilt services) in, app out."""

from __future__ import annotations

from importlib.metadata import version

from fastapi import FastAPI

from api import docs, errors, limits, metrics, openapi
from api.auth import Gate, RateLimits
from api.observe import Observe
from api.routes import answers, audit, chat, drafts, evals, health, knowledge, moderations, sentiment
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
        # Observability is shequn's own (Prometheus /metrics, JSON logs); FastAPI's OpenTelemetry
        # hooks would otherwise look up the global providers on every request.
        telemetry={"tracing": False, "metrics": False, "logs": False},
    )
    app.state.settings = settings
    services = services or Services.from_settings(settings)
    app.state.services = services
    errors.install(app)
    limits.install(app, settings)
    app.add_middleware(Gate, keyring=services.keyring, limits=RateLimits(settings.rate_limit))
    app.add_middleware(Observe, audit=services.audit_log)
    docs.install(app)
    openapi.install(app)
    # Routes are matched in this order: the bots' per-message calls first (no path overlaps).
    app.include_router(moderations.router)
    app.include_router(answers.router)
    app.include_router(chat.router)
    app.include_router(metrics.router)
    app.include_router(audit.router)
    app.include_router(health.router)
    app.include_router(knowledge.router)
    app.include_router(drafts.router)
    app.include_router(evals.router)
    app.include_router(sentiment.router)
    return app
