"""The OpenAPI document says how to call each route: the bearer scheme (Swagger UI's
"Authorize" button), the roles allowed, and the one error shape for every failure."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from api.auth import allowed_roles, is_open
from api.errors import ErrorBody

SCHEME = "bearer"
ERRORS = {
    "401": "No valid API key.",
    "403": "The key's role or communities do not cover this call.",
    "404": "Unknown community or object.",
    "413": "Request body over the size limit in bytes.",
    "422": "Invalid request, or a field over its limit; details name each field (and its limit).",
    "429": "The key's rate limit is reached; see Retry-After.",
    "503": "The community's configuration file is broken.",
}


def install(app: FastAPI) -> None:
    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = _document(app)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def _document(app: FastAPI) -> dict[str, Any]:
    spec = get_openapi(title=app.title, version=app.version, description=app.description, routes=app.routes)
    schemas = spec.setdefault("components", {}).setdefault("schemas", {})
    schemas.update(ErrorBody.model_json_schema(ref_template="#/components/schemas/{model}").pop("$defs"))
    schemas["ErrorBody"] = ErrorBody.model_json_schema(ref_template="#/components/schemas/{model}")
    schemas["ErrorBody"].pop("$defs", None)
    for name in ("HTTPValidationError", "ValidationError"):
        schemas.pop(name, None)
    spec["components"]["securitySchemes"] = {
        SCHEME: {"type": "http", "scheme": "bearer", "description": "An API key: `Authorization: Bearer KEY`."}
    }
    error = {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorBody"}}}}
    for path, operations in spec.get("paths", {}).items():
        for method, operation in operations.items():
            operation.setdefault("responses", {})
            for status, text in ERRORS.items():
                if status in ("401", "403", "429") and is_open(path):
                    continue
                operation["responses"][status] = {"description": text, **error}
            if is_open(path):
                operation["security"] = []
                continue
            operation["security"] = [{SCHEME: []}]
            roles = ", ".join(allowed_roles(method.upper(), path))
            operation["description"] = f"{operation.get('description', '')}\n\nRoles: {roles}.".strip()
    return spec
