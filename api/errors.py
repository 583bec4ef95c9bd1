"""One machine-readable error shape for every failure:
``{"error": {code, message, details, request_id}}``.

Bots parse ``code``; people read ``message``; ``details`` lists per-field or per-item reasons;
``request_id`` (also the ``X-Request-ID`` header) finds the request's lines in the server log.
No traceback ever reaches a client."""

from __future__ import annotations

import json
import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import Scope, Send

from assistant.access import OutOfScope
from assistant.config_files import ConfigFileError
from assistant.ids import InvalidCommunity, UnknownCommunity

log = logging.getLogger("shequn.api")


#: Where the request's id is kept in the ASGI scope (set by ``api.observe``).
REQUEST_ID = "shequn.request_id"


class ApiError(Exception):
    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        details: list[Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.details = status, code, message, details or []
        self.headers = headers


class ErrorDetail(BaseModel):
    code: str = Field(description="Machine-readable, e.g. invalid_request, unauthorized, forbidden, rate_limited.")
    message: str
    details: list[Any] = Field(default_factory=list, description="Per-field or per-item reasons.")
    request_id: str | None = Field(None, description="Also in the X-Request-ID header and the server log.")


class ErrorBody(BaseModel):
    """Every 4xx and 5xx answer has this shape."""

    error: ErrorDetail


def error_body(
    code: str, message: str, details: list[Any] | None = None, request_id: str | None = None
) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "details": details or [], "request_id": request_id}}


def _response(
    request: Request,
    status: int,
    code: str,
    message: str,
    details: list[Any] | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    request_id = request.scope.get(REQUEST_ID)
    body = jsonable_encoder(error_body(code, message, details, request_id))
    return JSONResponse(status_code=status, content=body, headers=headers)


async def send_error(
    scope: Scope, send: Send, status: int, code: str, message: str, headers: dict[str, str] | None = None
) -> None:
    """The same shape from ASGI middleware, which answers before any route runs."""
    payload = json.dumps(
        error_body(code, message, None, scope.get(REQUEST_ID)), ensure_ascii=False, separators=(",", ":")
    ).encode()
    raw = [(b"content-type", b"application/json"), (b"content-length", str(len(payload)).encode())]
    raw += [(k.lower().encode(), v.encode()) for k, v in (headers or {}).items()]
    await send({"type": "http.response.start", "status": status, "headers": raw})
    await send({"type": "http.response.body", "body": payload})


def install(app: FastAPI) -> None:
    @app.exception_handler(ApiError)
    async def _api_error(request: Request, exc: ApiError) -> JSONResponse:
        return _response(request, exc.status, exc.code, exc.message, exc.details, exc.headers)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        details = [{"loc": list(e["loc"]), "msg": e["msg"], "type": e["type"]} for e in exc.errors()]
        return _response(request, 422, "invalid_request", "the request does not match the schema", details)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = {404: "not_found", 405: "method_not_allowed", 413: "too_large"}.get(exc.status_code, "http_error")
        return _response(request, exc.status_code, code, str(exc.detail))

    @app.exception_handler(UnknownCommunity)
    async def _unknown_community(request: Request, exc: UnknownCommunity) -> JSONResponse:
        return _response(request, 404, "unknown_community", f"unknown community {exc.args[0]!r}")

    @app.exception_handler(InvalidCommunity)
    async def _invalid_community(request: Request, exc: InvalidCommunity) -> JSONResponse:
        return _response(request, 422, "invalid_community", str(exc))

    @app.exception_handler(OutOfScope)
    async def _out_of_scope(request: Request, exc: OutOfScope) -> JSONResponse:
        return _response(request, 403, "forbidden_community", str(exc))

    @app.exception_handler(ConfigFileError)
    async def _bad_config(request: Request, exc: ConfigFileError) -> JSONResponse:
        """The request is fine; the operator's file for its community is not, until fixed.
        The file is named as the operator knows it, never by its path on the server."""
        details = [{"file": exc.name, "reason": r} for r in exc.reasons]
        return _response(request, 503, "invalid_config", str(exc), details)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error")
        request_id = request.scope.get(REQUEST_ID)
        headers = {"X-Request-ID": request_id} if request_id else None
        return _response(
            request, 500, "internal_error", "internal error; the server log has the details", None, headers
        )
