"""One machine-readable error shape for every failure: ``{"error": {code, message, details}}``.

Bots parse ``code``; people read ``message``; ``details`` lists per-field or per-item reasons.
No traceback ever reaches a client."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from assistant.config_files import ConfigFileError
from assistant.ids import InvalidCommunity, UnknownCommunity

log = logging.getLogger("shequn.api")


class ApiError(Exception):
    def __init__(self, status: int, code: str, message: str, details: list[Any] | None = None) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.details = status, code, message, details or []


def error_body(code: str, message: str, details: list[Any] | None = None) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "details": details or []}}


def _response(status: int, code: str, message: str, details: list[Any] | None = None) -> JSONResponse:
    return JSONResponse(status_code=status, content=jsonable_encoder(error_body(code, message, details)))


def install(app: FastAPI) -> None:
    @app.exception_handler(ApiError)
    async def _api_error(_: Request, exc: ApiError) -> JSONResponse:
        return _response(exc.status, exc.code, exc.message, exc.details)

    @app.exception_handler(RequestValidationError)
    async def _invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        details = [{"loc": list(e["loc"]), "msg": e["msg"], "type": e["type"]} for e in exc.errors()]
        return _response(422, "invalid_request", "the request does not match the schema", details)

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = {404: "not_found", 405: "method_not_allowed", 413: "too_large"}.get(exc.status_code, "http_error")
        return _response(exc.status_code, code, str(exc.detail))

    @app.exception_handler(UnknownCommunity)
    async def _unknown_community(_: Request, exc: UnknownCommunity) -> JSONResponse:
        return _response(404, "unknown_community", f"unknown community {exc.args[0]!r}")

    @app.exception_handler(InvalidCommunity)
    async def _invalid_community(_: Request, exc: InvalidCommunity) -> JSONResponse:
        return _response(422, "invalid_community", str(exc))

    @app.exception_handler(ConfigFileError)
    async def _bad_config(_: Request, exc: ConfigFileError) -> JSONResponse:
        """The request is fine; the operator's file for its community is not, until fixed.
        The file is named as the operator knows it, never by its path on the server."""
        details = [{"file": exc.name, "reason": r} for r in exc.reasons]
        return _response(503, "invalid_config", str(exc), details)

    @app.exception_handler(Exception)
    async def _unexpected(_: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error")
        return _response(500, "internal_error", "internal error; the server log has the details")
