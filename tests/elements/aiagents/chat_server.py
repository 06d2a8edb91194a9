"""A local OpenAI-compatible chat completions server for the tests, on 127.0.0.1.

It speaks the streaming protocol the way hosted and local LLM servers do: `POST
/v1/chat/completions` with `"stream": true` answers `text/event-stream`, one `data: {chunk}`
event per delta, then `data: [DONE]`. Each request is recorded; what the next request gets is
scripted by the test (a stream, an HTTP error, a hang, a malformed or cut-off stream).
It runs on its own thread and loop, so both async tests and synchronous `run()` calls reach it.
"""
from __future__ import annotations

import asyncio
import json
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web


@dataclass
class Reply:
    """What the server does with one request."""

    kind: str = "stream"  # stream | status | hang | not_json | html | cut | error_event | empty
    chunks: list[str] = field(default_factory=list)
    status: int = 200
    hold_after: int | None = None  # stream: wait for release() after this many chunks
    seconds: float = 0.0  # hang: how long


class ChatServer:
    """Start with `with ChatServer() as server:`; `server.url` is the base URL (ending in /v1)."""

    def __init__(self, models: list[str] | None = None, api_key: str | None = None) -> None:
        self.models = models  # what GET /v1/models lists; None: the server has no model list (404)
        self.api_key = api_key  # when set, a request without `Authorization: Bearer <it>` gets 401
        self.requests: list[dict[str, Any]] = []
        self.headers: list[dict[str, str]] = []
        self._script: deque[Reply] = deque()
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="chat-server", daemon=True)
        self._release: asyncio.Event | None = None
        self._runner: web.AppRunner | None = None
        self.port = 0

    # test API ---------------------------------------------------------------------------
    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def then(self, reply: Reply) -> ChatServer:
        """Script the reply to the next request not yet scripted (default: echo the question)."""
        self._script.append(reply)
        return self

    def stream(self, *chunks: str, hold_after: int | None = None) -> ChatServer:
        return self.then(Reply("stream", list(chunks), hold_after=hold_after))

    def fail(self, status: int) -> ChatServer:
        return self.then(Reply("status", status=status))

    def release(self) -> None:
        """Let a held stream (hold_after) send the rest."""
        self._loop.call_soon_threadsafe(self._release_now)

    def messages(self, number: int = -1) -> list[dict[str, str]]:
        """The chat messages of one recorded request (default: the last)."""
        return self.requests[number]["messages"]

    # lifecycle --------------------------------------------------------------------------
    def __enter__(self) -> ChatServer:
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self._start(), self._loop).result(5)
        return self

    def __exit__(self, *exc_info: object) -> None:
        asyncio.run_coroutine_threadsafe(self._stop(), self._loop).result(5)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(5)
        self._loop.close()

    async def _start(self) -> None:
        self._release = asyncio.Event()
        app = web.Application()
        app.router.add_post("/v1/chat/completions", self._completions)
        app.router.add_get("/v1/models", self._models)
        self._runner = web.AppRunner(app, shutdown_timeout=0.1)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]

    async def _stop(self) -> None:
        assert self._runner is not None
        await self._runner.cleanup()

    def _release_now(self) -> None:
        assert self._release is not None
        self._release.set()

    # the protocol -----------------------------------------------------------------------
    def _refused(self, request: web.Request) -> bool:
        return self.api_key is not None and request.headers.get("Authorization") != f"Bearer {self.api_key}"

    async def _models(self, request: web.Request) -> web.Response:
        if self._refused(request):
            return _error(401)
        if self.models is None:
            return web.json_response({"error": {"message": "Not found", "type": "invalid_request_error"}}, status=404)
        return web.json_response({"object": "list", "data": [{"id": m, "object": "model", "created": 0, "owned_by": "test"}
                                                             for m in self.models]})

    async def _completions(self, request: web.Request) -> web.StreamResponse:
        body = await request.json()
        self.requests.append(body)
        self.headers.append(dict(request.headers))
        if self._refused(request):
            return _error(401)
        reply = self._script.popleft() if self._script else Reply("stream", _echo(body))
        if reply.kind == "status":
            return _error(reply.status)
        if reply.kind == "hang":
            await asyncio.sleep(reply.seconds)
            return _error(500)
        if reply.kind == "html":
            return web.Response(text="<html><body>Welcome to nginx!</body></html>", content_type="text/html")
        response = web.StreamResponse(headers={"Content-Type": "text/event-stream", "Cache-Control": "no-cache"})
        await response.prepare(request)
        if reply.kind == "not_json":
            await response.write(b"data: this is not json\n\n")
            return response
        if reply.kind == "empty":
            await response.write(b": keep-alive comment, and nothing else\n\n")
            return response
        if reply.kind == "error_event":
            await response.write(_event(_chunk(body, {"role": "assistant", "content": "Par"})))
            await response.write(b'data: {"error": {"message": "The model is overloaded", "type": "server_error"}}\n\n')
            return response
        await response.write(_event(_chunk(body, {"role": "assistant", "content": ""})))
        for number, text in enumerate(reply.chunks, start=1):
            await response.write(_event(_chunk(body, {"content": text})))
            if reply.kind == "cut" and number == len(reply.chunks):
                assert request.transport is not None
                request.transport.close()  # mid-body: the client sees an incomplete chunked response
                return response
            if reply.hold_after == number:
                assert self._release is not None
                await asyncio.wait_for(self._release.wait(), 20)  # longer than any test waits for what came before
        await response.write(_event(_chunk(body, {}, finish_reason="stop")))
        await response.write(b"data: [DONE]\n\n")
        await response.write_eof()
        return response


def _echo(body: dict[str, Any]) -> list[str]:
    question = body["messages"][-1]["content"]
    return ["You ", "asked: ", question]


def _chunk(body: dict[str, Any], delta: dict[str, Any], finish_reason: str | None = None) -> dict[str, Any]:
    return {
        "id": "chatcmpl-test",
        "object": "chat.completion.chunk",
        "created": int(time.time()),
        "model": body.get("model", ""),
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish_reason}],
    }


def _event(data: dict[str, Any]) -> bytes:
    return f"data: {json.dumps(data, ensure_ascii=False)}\n\n".encode()


def _error(status: int) -> web.Response:
    messages = {
        401: ("Incorrect API key provided.", "invalid_request_error", "invalid_api_key"),
        403: ("You are not allowed to use this model.", "invalid_request_error", "forbidden"),
        404: ("The model `test-model` does not exist.", "invalid_request_error", "model_not_found"),
        429: ("Rate limit reached for requests.", "requests", "rate_limit_exceeded"),
    }
    message, kind, code = messages.get(status, ("The server had an error while processing your request.", "server_error", None))
    return web.json_response({"error": {"message": message, "type": kind, "code": code}}, status=status)
