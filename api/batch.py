"""The limits every endpoint that takes "one message or a list" applies the same way.

A limit on what the body says (items, characters) is a 422 naming the field and the limit, so a
bot can split its batch; only the body's size in bytes is a 413 (``api.limits``)."""

from __future__ import annotations

from api.errors import ApiError
from assistant.settings import Settings


def over_limit(code: str, field: str, limit: int, got: int, unit: str = "items") -> ApiError:
    """422 for a field over its limit: ``details`` = ``[{"field", "limit", "got"}]``."""
    message = f"{field}: at most {limit} {unit}, got {got}"
    return ApiError(422, code, message, [{"field": field, "limit": limit, "got": got}])


def too_many(field: str, limit: int, got: int) -> ApiError:
    return over_limit("too_many_items", field, limit, got)


def messages(value: str | list[str], settings: Settings) -> list[str]:
    """The messages of a request as a list: 422 when there are none, over the batch size or over
    the per-message length (one detail per message too long, with its index)."""
    field = "input"  # what every such endpoint calls it
    texts = [value] if isinstance(value, str) else value
    if not texts:
        raise ApiError(422, "empty_input", f"{field} must be a message or a non-empty list")
    if len(texts) > settings.max_batch:
        raise too_many(field, settings.max_batch, len(texts))
    limit = settings.max_text_chars
    too_long = [
        {"field": field if isinstance(value, str) else f"{field}[{i}]", "index": i, "limit": limit, "got": len(t)}
        for i, t in enumerate(texts)
        if len(t) > limit
    ]
    if too_long:
        raise ApiError(422, "text_too_long", f"{field}: at most {limit} characters per message", too_long)
    return texts
