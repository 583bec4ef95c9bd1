"""Limits applied before a request reaches a route: the body's size (refused before it is
read), and text no JSON encoder can send back (lone surrogates, invalid UTF-8), which used to
crash the response with a 500 and drop the kept-alive connection."""

from __future__ import annotations

import json
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.errors import error_body
from assistant.settings import Settings


def install(app: Any, settings: Settings) -> None:
    app.add_middleware(BodyLimits, max_bytes=settings.max_body_bytes)


class BodyLimits:
    """Pure ASGI (no buffering wrapper of Starlette's): counts bytes as they arrive."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app, self.max_bytes = app, max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in ("GET", "HEAD", "OPTIONS", "DELETE"):
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > self.max_bytes):
            await _reply(send, 413, "too_large", f"request bodies are limited to {self.max_bytes} bytes")
            return
        body, messages = b"", []
        while True:
            message = await receive()
            messages.append(message)
            body += message.get("body", b"")
            if len(body) > self.max_bytes:
                await _reply(send, 413, "too_large", f"request bodies are limited to {self.max_bytes} bytes")
                return
            if message["type"] != "http.request" or not message.get("more_body"):
                break
        problem = _unsendable_text(body)
        if problem:
            await _reply(send, 422, "invalid_text", problem)
            return
        replay = iter(messages)

        async def replayed() -> Message:
            return next(replay, None) or await receive()

        await self.app(scope, replayed, send)


def _unsendable_text(body: bytes) -> str | None:
    """Why the body's text cannot be processed, or None. Parsing is only paid for bodies that
    spell a surrogate escape (``\\ud800``); valid pairs (emoji) decode to one character."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        return f"the body is not valid UTF-8 (byte {exc.start})"
    if "\\ud" not in text.lower():
        return None
    try:
        data = json.loads(text)
    except ValueError:
        return None  # the route's own validation reports malformed JSON
    path = _lone_surrogate(data, [])
    return None if path is None else f"text at {'.'.join(map(str, path)) or 'body'} holds a lone surrogate"


def _lone_surrogate(value: object, path: list[object]) -> list[object] | None:
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return path
        return None
    items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
    for key, child in items:
        if isinstance(key, str) and _lone_surrogate(key, path) is not None:
            return [*path, "<key>"]
        found = _lone_surrogate(child, [*path, key])
        if found is not None:
            return found
    return None


async def _reply(send: Send, status: int, code: str, message: str) -> None:
    payload = json.dumps(error_body(code, message), ensure_ascii=False).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(payload)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": payload})
