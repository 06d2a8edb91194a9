"""The agent interface every `aiagents` Type implements, and the errors a robot catches.

A robot gets an agent with `app.getElement("aiagents.helpdesk")` and then either
- `async for chunk in agent.stream(question, chat_id)`: the answer as text chunks, in order; or
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
from typing import TYPE_CHECKING, Any

from .chat_memory import ChatMemory

if TYPE_CHECKING:
    from element_studio.contract import App

__all__ = [
    "Agent",
    "AgentError",
    "AgentTimeoutError",
    "CredentialsRefusedError",
    "MalformedStreamError",
    "RateLimitedError",
    "RequestRejectedError",
    "ServerError",
    "ServerUnreachableError",
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


class Agent:
    """Base of every agent object a `Loader.load()` of this family returns."""

    def __init__(self, full_name: str, memory: ChatMemory, logger: logging.Logger, app: App | None = None) -> None:
        self.fullName = full_name
        self.memory = memory
        self.logger = logger
        self.app = app  # told how each answer ended, so the agent's status says why the last one failed

    async def answer(self, question: str, history: list[dict[str, str]]) -> AsyncIterator[str]:
        """The answer's text chunks; `history` is the chat's earlier turns, oldest first.

        Subclasses write this as an async generator and raise an AgentError subclass on failure.
        """
        raise NotImplementedError
        yield ""  # pragma: no cover  (makes this an async generator for type checkers)

    async def stream(self, question: str, chat_id: str) -> AsyncIterator[str]:
        """Yield the answer's chunks in order; remember the exchange once it is complete."""
        history = await asyncio.to_thread(self.memory.recall, chat_id)
        parts: list[str] = []
        try:
            async for chunk in self.answer(question, history):
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
        await asyncio.to_thread(self.memory.remember, chat_id, question, "".join(parts))

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
