"""Every request gets an id (``X-Request-ID`` in and out), one JSON access-log line (route,
status, latency, key id — never the key), its metrics, and, when it writes, an audit row."""

from __future__ import annotations

import itertools
import logging
import re
import secrets
import time
from contextvars import ContextVar
from typing import Any

import anyio
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api import metrics
from api.auth import CALLER, is_open, writes
from api.errors import REQUEST_ID
from assistant.access import Caller
from assistant.store.audit import AuditLog

log = logging.getLogger("shequn.access")
audit_log = logging.getLogger("shequn.audit")
#: The id of the request being served, for every log line written while serving it.
request_id_var: ContextVar[str | None] = ContextVar("shequn_request_id", default=None)
#: A client's own id is kept when it is short and plain; otherwise a new one is made.
CLIENT_ID = re.compile(r"[A-Za-z0-9._:-]{1,64}")
UNMATCHED = "<unmatched>"
#: Request ids are this process's random prefix and a counter: unique across workers and
#: restarts, and a tenth of the cost of a uuid4 (which reads the OS's random source each time).
_PREFIX = secrets.token_hex(8)
_NEXT = itertools.count()


def new_request_id() -> str:
    return f"{_PREFIX}{next(_NEXT):016x}"


class RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            record.request_id = request_id_var.get()
        return True


class Observe:
    """Pure ASGI, outermost of shequn's middleware, so even refusals are counted and logged."""

    def __init__(self, app: ASGIApp, audit: AuditLog) -> None:
        self.app, self.audit = app, audit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        given = dict(scope["headers"]).get(b"x-request-id", b"").decode("latin-1")
        request_id = given if CLIENT_ID.fullmatch(given) else new_request_id()
        scope[REQUEST_ID] = request_id
        request_id_var.set(request_id)
        status, started, audited = 500, time.perf_counter(), False

        async def send_with_id(message: Message) -> None:
            nonlocal status, audited
            if message["type"] == "http.response.start":
                status, audited = message["status"], True
                await self._audit(scope, status)  # before the client hears back: a read that follows sees it
                headers = [(k, v) for k, v in message.get("headers", []) if k.lower() != b"x-request-id"]
                message = {**message, "headers": [*headers, (b"x-request-id", request_id.encode())]}
            await send(message)

        metrics.IN_PROGRESS.inc()
        try:
            await self.app(scope, receive, send_with_id)
        finally:
            metrics.IN_PROGRESS.dec()
            if not audited:
                await self._audit(scope, status)
            self._log(scope, status, time.perf_counter() - started)

    def _log(self, scope: Scope, status: int, seconds: float) -> None:
        route = _route(scope)
        method, caller = scope["method"], scope.get(CALLER)
        metrics.REQUEST_SECONDS.labels(method, route, str(status)).observe(seconds)
        if status in (401, 403, 429) and route == UNMATCHED:
            metrics.DENIED.labels(str(status)).inc()
        principal = caller.principal if isinstance(caller, Caller) else None
        fields: dict[str, Any] = {
            "method": method,
            "route": route,
            "path": scope["path"],
            "status": status,
            "latency_ms": round(seconds * 1000, 2),
            "key_id": principal.key_id if principal else None,
        }
        log.info("%s %s %s", method, scope["path"], status, extra=fields)

    async def _audit(self, scope: Scope, status: int) -> None:
        """Writes that got past authentication, whatever came of them (refusals by scope too)."""
        caller, route = scope.get(CALLER), _route(scope)
        if not isinstance(caller, Caller) or caller.principal is None or status in (401, 429):
            return
        if status == 405 or (route == UNMATCHED and status == 404):
            return  # no such route or method: nothing was written
        if writes(scope["method"], scope["path"]) and not is_open(scope["path"]):
            await anyio.to_thread.run_sync(self._record, scope, caller, route, status)

    def _record(self, scope: Scope, caller: Caller, route: str, status: int) -> None:
        principal = caller.principal
        assert principal is not None
        try:
            self.audit.record(
                key_id=principal.key_id,
                key_name=principal.name,
                role=principal.role,
                action=f"{scope['method']} {route}",
                target=scope["path"][:512],
                community="|".join(caller.communities) or None,
                status=status,
                request_id=scope.get(REQUEST_ID),
            )
        except Exception:  # the write itself is done; losing its audit row must be loud, not a 500
            audit_log.exception("could not write the audit row of %s %s", scope["method"], scope["path"])


def _route(scope: Scope) -> str:
    """The route template (``/v1/drafts/{id}``), so metrics do not grow a series per id."""
    return getattr(scope.get("route"), "path", None) or UNMATCHED
