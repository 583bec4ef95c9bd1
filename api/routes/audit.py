from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from api.deps import ServicesDep
from assistant import access


class AuditRecord(BaseModel):
    id: int
    at: dt.datetime
    key_id: str = Field(description="env-N for keys from SHEQUN_API_KEYS, the key's id, or cli:<user>.")
    key_name: str
    role: str
    action: str = Field(
        description="Method and route template, or the CLI command.", examples=["POST /v1/knowledge/documents"]
    )
    target: str = Field(description="The path called, or the object changed.")
    community: str | None = Field(description="Communities the request named, '|'-joined.")
    status: int = Field(description="HTTP status of the answer (0 for CLI changes).")
    request_id: str | None


class AuditPage(BaseModel):
    entries: list[AuditRecord]


router = APIRouter(prefix="/v1", tags=["audit"])


@router.get("/audit", response_model=AuditPage)
def audit(
    services: ServicesDep,
    since: Annotated[dt.datetime | None, Query(description="Only entries at or after this time (ISO 8601).")] = None,
    key: Annotated[str | None, Query(max_length=64, description="Only this key id's entries.")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> AuditPage:
    """Writes made through the API, newest first: who (key id and name), what, when, community."""
    caller = access.current()
    scope = caller.principal.communities if caller and caller.principal else None
    rows = services.audit_log.rows(since, key, scope, limit)
    return AuditPage(entries=[AuditRecord.model_validate(row.public()) for row in rows])
