from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Query

from api.deps import ServicesDep
from assistant import access

router = APIRouter(prefix="/v1", tags=["audit"])


@router.get("/audit")
def audit(
    services: ServicesDep,
    since: Annotated[dt.datetime | None, Query(description="Only entries at or after this time (ISO 8601).")] = None,
    key: Annotated[str | None, Query(max_length=64, description="Only this key id's entries.")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> dict[str, Any]:
    """Writes made through the API, newest first: who (key id and name), what, when, community."""
    caller = access.current()
    scope = caller.principal.communities if caller and caller.principal else None
    rows = services.audit_log.rows(since, key, scope, limit)
    return {"entries": [row.public() for row in rows]}
