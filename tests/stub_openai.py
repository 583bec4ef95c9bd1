"""A local OpenAI-compatible server for tests: ``/v1/embeddings`` (deterministic vectors) and
``/v1/chat/completions`` with scripted behaviour (reply, 5xx, slow, invalid JSON, off-schema).
Runs on 127.0.0.1 over real HTTP."""

from __future__ import annotations

import asyncio
import hashlib
import json
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import uvicorn
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from tests.conftest import free_port

DIM = 64


def _vector(text: str) -> list[float]:
    """Character-bag vector: enough for a paraphrase to beat an unrelated text."""
    vec = [0.0] * DIM
    for ch in text:
        vec[int(hashlib.md5(ch.encode()).hexdigest(), 16) % DIM] += 1.0
    return vec


def usage(body: dict[str, Any], content: str) -> dict[str, int]:
    """The stub's token counts: one token a character of the messages and of the reply."""
    prompt = sum(len(m.get("content") or "") for m in body["messages"])
    return {"prompt_tokens": prompt, "completion_tokens": len(content), "total_tokens": prompt + len(content)}


class Stub:
    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self.fail_with: int | None = None
        self.chat_mode = "ok"  # ok | error | slow | invalid | off_schema
        #: The JSON the model "writes": fixed, or computed from the request body.
        self.chat_reply: dict[str, Any] | Callable[[dict[str, Any]], dict[str, Any]] = {}
        self.app = FastAPI()

        @self.app.post("/v1/chat/completions")
        async def chat(request: Request) -> JSONResponse:
            body = await request.json()
            self.requests.append(body)
            if self.chat_mode == "error":
                return JSONResponse({"error": {"message": "stub failure"}}, status_code=500)
            if self.chat_mode == "slow":
                await asyncio.sleep(3)
            reply = self.chat_reply(body) if callable(self.chat_reply) else self.chat_reply
            content = {"invalid": "this is not json", "off_schema": json.dumps({"decision": "maybe"})}.get(
                self.chat_mode, json.dumps(reply, ensure_ascii=False)
            )
            message = {"role": "assistant", "content": content}
            return JSONResponse({
                "id": "stub", "object": "chat.completion", "created": 0, "model": body["model"],
                "choices": [{"index": 0, "finish_reason": "stop", "message": message}],
                "usage": usage(body, content),
            })  # fmt: skip

        @self.app.post("/v1/embeddings")
        async def embeddings(request: Request) -> JSONResponse:
            body = await request.json()
            self.requests.append(body)
            if self.fail_with:
                return JSONResponse({"error": {"message": "stub failure"}}, status_code=self.fail_with)
            texts = body["input"] if isinstance(body["input"], list) else [body["input"]]
            data = [{"object": "embedding", "index": i, "embedding": _vector(t)} for i, t in enumerate(texts)]
            return JSONResponse(
                {
                    "object": "list",
                    "data": data,
                    "model": body["model"],
                    "usage": {"prompt_tokens": 0, "total_tokens": 0},
                }
            )


@contextmanager
def serve_stub() -> Iterator[tuple[Stub, str]]:
    stub = Stub()
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(stub.app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.02)
    try:
        yield stub, f"http://127.0.0.1:{port}/v1"
    finally:
        server.should_exit = True
        thread.join(timeout=5)
