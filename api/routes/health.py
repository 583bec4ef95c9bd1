from __future__ import annotations

from importlib.metadata import version

from fastapi import APIRouter

from api.deps import IndexDep, SettingsDep
from api.schemas import Health

router = APIRouter(tags=["health"])


@router.get("/healthz", response_model=Health)
def healthz(index: IndexDep, settings: SettingsDep) -> Health:
    """Liveness and what is loaded: vector store reachable, index consistent, communities and entry counts."""
    chroma = index.store.heartbeat()
    inconsistent = index.inconsistent() if chroma else []
    return Health(
        status="ok" if chroma and not inconsistent else "degraded",
        version=version("shequn"),
        vector_store="chroma-server" if settings.chroma_url else "chroma-embedded",
        vector_store_ok=chroma,
        index_consistent=not inconsistent,
        inconsistent_communities=inconsistent,
        llm=settings.llm,
        communities={c: index.count(c) for c in index.communities()},
    )
