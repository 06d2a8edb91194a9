"""The agent interface every `aiagents` Type implements, and the errors a robot catches.

A robot gets an agent with `app.getElement("aiagents.helpdesk")` and then either
- `async for chunk in agent.stream(question, chat_id)`: the answer as text chunks, in order;
  an agent whose `accepts_images` is True also takes `images=[...]`: objects with `mime_type`
  ("image/png" ...) and `data` (bytes), the pictures that came with the question (any other
  agent refuses them with ImagesNotAcceptedError, whose user_message says it reads text); or
- `agent.run(params={"input_data": question}, chatId=..., stream_callback=...)`: the tutorial's
  synchronous call, which calls `stream_callback({"data": {"content": chunk}})` per chunk and
  returns the whole answer.
Both remember the exchange per (agent, chat id) when it completes, and both raise an
`AgentError` (with a short `.user_message` for the chat) when no answer can be given.

A Type of this family subclasses `Agent` and writes `answer(question, history)`; memory, error
wrapping and the synchronous wrapper live here, once.
"""
from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import AsyncIterator, Callable
from base64 import b64encode
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Protocol

from .chat_memory import ChatMemory

if TYPE_CHECKING:
    from element_studio.contract import App

__all__ = [
    "Agent",
    "AgentError",
    "AgentTimeoutError",
    "CredentialsRefusedError",
    "Image",
    "ImagesNotAcceptedError",
    "MalformedStreamError",
    "RateLimitedError",
    "RequestRejectedError",
    "ServerError",
    "ServerUnreachableError",
    "data_url",
]


class AgentError(Exception):
    """An agent could not answer: `str(exc)` is the reason for the log, `user_message` is for the chat.
    The reason is the whole story (the agent's own log has any traceback): a robot's log shows it
    as one line (`log_traceback`)."""

    log_traceback = False

    user_message = "抱歉，暂时无法回答这个问题，请稍后再试。Sorry, I can't answer that right now; please try again later."

    def __init__(self, reason: str, user_message: str | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        if user_message is not None:
            self.user_message = user_message


class ServerUnreachableError(AgentError):
    """The LLM server cannot be connected to (wrong base URL, server down, DNS, refused)."""

    user_message = "抱歉，AI 服务暂时连接不上，请稍后再试。Sorry, the AI service can't be reached right now; please try again later."


class CredentialsRefusedError(AgentError):
    """The server refused the API key (HTTP 401 or 403)."""

    user_message = "抱歉，AI 服务拒绝了我们的凭据，请联系管理员。Sorry, the AI service refused our credentials; please tell the administrator."


class RateLimitedError(AgentError):
    """The server asks us to slow down or the quota is used up (HTTP 429)."""

    user_message = "抱歉，AI 服务现在太忙了，请过一会儿再问。Sorry, the AI service is busy right now; please ask again in a minute."


class ServerError(AgentError):
    """The server failed on its side (HTTP 5xx)."""

    user_message = "抱歉，AI 服务出错了，请稍后再试。Sorry, the AI service had an internal error; please try again later."


class RequestRejectedError(AgentError):
    """The server rejected the request itself (HTTP 400, 404 unknown model, 422 ...): a config problem."""

    user_message = "抱歉，AI 服务拒绝了这个请求，请联系管理员检查配置。Sorry, the AI service rejected the request; please ask the administrator to check the agent's settings."


class AgentTimeoutError(AgentError):
    """The server sent nothing for longer than the agent's timeout."""

    user_message = "抱歉，AI 服务响应超时，请稍后再试。Sorry, the AI service took too long to answer; please try again."


class MalformedStreamError(AgentError):
    """The server's answer stream could not be read (not server-sent events, bad JSON, cut off)."""

    user_message = "抱歉，AI 服务返回的内容无法读取，请稍后再试。Sorry, the AI service sent an answer I couldn't read; please try again later."


class ImagesNotAcceptedError(AgentError):
    """Pictures were sent to an agent that only reads text."""

    user_message = "抱歉，我只能读文字，看不了图片，请用文字描述你的问题。Sorry, I can only read text, not pictures; please describe your question in words."


class Image(Protocol):
    """A picture handed to an agent with `accepts_images` (the robot's own type, read by shape)."""

    mime_type: str
    data: bytes


def data_url(image: Image) -> str:
    """The picture as a data: URL, the form OpenAI-compatible servers take inline images in."""
    return f"data:{image.mime_type};base64,{b64encode(image.data).decode('ascii')}"


class Agent:
    """Base of every agent object a `Loader.load()` of this family returns."""

    accepts_images = False  # an agent that looks at pictures says True and takes `images` in answer()

    def __init__(self, full_name: str, memory: ChatMemory, logger: logging.Logger, app: App | None = None) -> None:
        self.fullName = full_name
        self.memory = memory
        self.logger = logger
        self.app = app  # told how each answer ended, so the agent's status says why the last one failed

    async def answer(self, question: str, history: list[dict[str, str]]) -> AsyncIterator[str]:
        """The answer's text chunks; `history` is the chat's earlier turns, oldest first.

        An agent with `accepts_images` also takes `images=` (never passed to other agents).
        Subclasses write this as an async generator and raise an AgentError subclass on failure.
        """
        raise NotImplementedError
        yield ""  # pragma: no cover  (makes this an async generator for type checkers)

    async def stream(self, question: str, chat_id: str, images: Sequence[Image] = ()) -> AsyncIterator[str]:
        """Yield the answer's chunks in order; remember the exchange once it is complete."""
        if images and not self.accepts_images:
            self.logger.info("no answer for chat %s: %d picture(s) sent to an agent that reads text only", chat_id, len(images))
            raise ImagesNotAcceptedError(f"{self.fullName} does not look at pictures ({len(images)} sent)")
        history = await asyncio.to_thread(self.memory.recall, chat_id)
        parts: list[str] = []
        answer = self.answer(question, history, images=images) if images else self.answer(question, history)
        try:
            async for chunk in answer:
                if chunk:
                    parts.append(chunk)
                    yield chunk
        except AgentError as exc:
            self.logger.warning("no answer for chat %s: %s", chat_id, exc.reason)
            self._note(f"the last answer failed: {exc.reason}")
            raise
        except Exception as exc:  # a bug or an unforeseen failure: the robot still gets an AgentError
            self.logger.exception("no answer for chat %s: unexpected %s", chat_id, type(exc).__name__)
            self._note(f"the last answer failed: unexpected {type(exc).__name__}: {exc}")
            raise AgentError(f"unexpected {type(exc).__name__}: {exc}") from exc
        self._note(None)
        remembered = f"{question} [{len(images)} picture{'' if len(images) == 1 else 's'}]".strip() if images else question
        await asyncio.to_thread(self.memory.remember, chat_id, remembered, "".join(parts))

    def _note(self, failure: str | None) -> None:
        if self.app is not None:
            self.app.note_outcome(self.fullName, failure)

    def history(self, chat_id: str) -> list[dict[str, str]]:
        """The turns this agent remembers for a chat (blocking: call it from a thread)."""
        return self.memory.recall(chat_id)

    def run(self, params: dict[str, Any] | str, chatId: str, stream_callback: Callable[[dict], Any] | None = None) -> str:
        """The tutorial's synchronous call: chunks go to `stream_callback`, the full answer is returned."""
        question = params if isinstance(params, str) else params.get("input_data")
        if not isinstance(question, str):
            raise ValueError('run() needs the question as params={"input_data": "..."}')

        async def collect() -> str:
            parts = []
            async for chunk in self.stream(question, chatId):
                parts.append(chunk)
                if stream_callback is not None:
                    stream_callback({"data": {"content": chunk}})
            return "".join(parts)

        try:
            asyncio.get_running_loop()
        except RuntimeError:
            return asyncio.run(collect())
        # Called on a thread that runs an event loop (as the tutorial's handler does): a nested
        # asyncio.run is impossible there, so the answer is collected on a helper thread.
        return _run_in_helper_thread(collect)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.fullName}>"


def _run_in_helper_thread(make_coroutine: Callable[[], Any]) -> Any:
    """Run a coroutine to completion on a fresh thread with its own event loop."""
    outcome: dict[str, Any] = {}

    def target() -> None:
        try:
            outcome["value"] = asyncio.run(make_coroutine())
        except BaseException as exc:  # handed back to the calling thread
            outcome["error"] = exc

    thread = threading.Thread(target=target, name="agent-run", daemon=True)
    thread.start()
    thread.join()
    if "error" in outcome:
        raise outcome["error"]
    return outcome["value"]
