"""The limits every endpoint that takes "one message or a list" applies the same way."""

from __future__ import annotations

from api.errors import ApiError
from assistant.settings import Settings


def messages(value: str | list[str], settings: Settings) -> list[str]:
    """The messages of a request as a list: 422 when there are none, 413 over the batch size or
    the per-message length (with the index and length of each one too long)."""
    texts = [value] if isinstance(value, str) else value
    if not texts:
        raise ApiError(422, "empty_input", "input must be a message or a non-empty list")
    if len(texts) > settings.max_batch:
        raise ApiError(413, "too_many_items", f"at most {settings.max_batch} messages per request, got {len(texts)}")
    too_long = [{"index": i, "length": len(t)} for i, t in enumerate(texts) if len(t) > settings.max_text_chars]
    if too_long:
        raise ApiError(413, "text_too_long", f"messages are limited to {settings.max_text_chars} characters", too_long)
    return texts
