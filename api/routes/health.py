from __future__ import annotations

from importlib.metadata import version

from fastapi import APIRouter

from api.deps import IndexDep, SettingsDep
from api.schemas import Health

router = APIRouter(tags=["health"])


@router.get("/healthz", response_model=Health)
def healthz(index: IndexDep, settings: SettingsDep) -> Health:
    """Liveness and what is loaded: vector store reachable, communities and entry counts."""
    chroma = index.store.heartbeat()
    return Health(
        status="ok" if chroma else "degraded",
        version=version("shequn"),
        vector_store="chroma-server" if settings.chroma_url else "chroma-embedded",
        vector_store_ok=chroma,
        llm=settings.llm,
        communities={c: index.count(c) for c in index.communities()},
    )
