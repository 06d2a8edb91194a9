"""The OpenAI-compatible agent: streams chat completions from any server speaking that API.

Hosted providers (OpenAI, DeepSeek, Qwen/DashScope, Moonshot ...) and local servers (Ollama,
vLLM, llama.cpp, LM Studio) all accept `POST {baseUrl}/chat/completions` with `stream: true`
and answer in server-sent events; the `openai` package speaks that protocol for us.
"""
from __future__ import annotations

import asyncio
import functools
import logging
import ssl
from collections.abc import AsyncIterator, Sequence
from typing import TYPE_CHECKING, Any

import openai

from ..agent_api import (
    Agent,
    AgentError,
    AgentTimeoutError,
    CredentialsRefusedError,
    Image,
    MalformedStreamError,
    RateLimitedError,
    RequestRejectedError,
    ServerError,
    ServerUnreachableError,
    data_url,
)
from ..chat_memory import ChatMemory

if TYPE_CHECKING:
    from element_studio.contract import App

NO_KEY = "no-key"  # the client library insists on a key; local servers ignore this one
PASSAGES_INTRO = "Passages from the knowledge base (use them when they answer the question; say so when they do not):"


class OpenAICompatibleAgent(Agent):
    """Answers with a chat model behind an OpenAI-compatible endpoint, streaming its deltas."""

    def __init__(self, full_name: str, memory: ChatMemory, logger: logging.Logger, config: dict[str, Any], app: App) -> None:
        super().__init__(full_name, memory, logger, app)
        self.base_url = config["baseUrl"].rstrip("/")
        self.api_key = config["apiKey"]
        self.model = config["model"]
        self.system_prompt = config["systemPrompt"]
        self.temperature = config["temperature"]
        self.timeout = float(config["timeoutSeconds"])
        self.knowledge_base = config["knowledgeBase"]
        self.accepts_images = bool(config["vision"])

    async def answer(self, question: str, history: list[dict[str, str]], images: Sequence[Image] = ()) -> AsyncIterator[str]:
        messages = [
            {"role": "system", "content": await self.system_message(question)},
            *history,
            {"role": "user", "content": user_content(question, images)},
        ]
        client = openai.AsyncOpenAI(
            base_url=self.base_url,
            api_key=self.api_key or NO_KEY,
            timeout=self.timeout,
            max_retries=0,  # a chat is waiting: fail fast with a clear message instead
            http_client=_http_client(),
        )
        chunks = 0
        try:
            async with client:
                stream = await client.chat.completions.create(
                    model=self.model, messages=messages, temperature=self.temperature, stream=True
                )
                async for event in stream:
                    chunks += 1
                    text = self.delta_text(event)
                    if text:
                        yield text
        except openai.OpenAIError as exc:
            raise self.failure(exc, chunks) from exc
        except ValueError as exc:  # json.JSONDecodeError: an event whose data is not JSON
            raise MalformedStreamError(f"{self.base_url} sent an event that is not JSON: {_short(str(exc))}") from exc
        if chunks == 0:
            raise MalformedStreamError(
                f"{self.base_url} answered without any server-sent event; is baseUrl the API root of an OpenAI-compatible server (usually ending in /v1)?"
            )

    def delta_text(self, event: Any) -> str:
        """The answer text one chunk adds; the client builds chunks leniently, so check their shape."""
        choices = getattr(event, "choices", None) or []
        if not isinstance(choices, list):
            raise MalformedStreamError(f"{self.base_url} sent a chunk whose choices are not a list: {_short(repr(event))}")
        parts = []
        for choice in choices:
            delta = getattr(choice, "delta", None)
            content = getattr(delta, "content", None)
            if content is None:
                continue
            if not isinstance(content, str):
                raise MalformedStreamError(f"{self.base_url} sent a chunk without text content: {_short(repr(event))}")
            parts.append(content)
        return "".join(parts)

    async def system_message(self, question: str) -> str:
        """The system prompt, followed by the knowledge base's best passages when one is set."""
        if not self.knowledge_base:
            return self.system_prompt
        hits = await asyncio.to_thread(self._search_knowledge, question)
        if not hits:
            return self.system_prompt
        passages = "\n\n".join(f"[{n}] {hit.passage.title}\n{hit.passage.text}" for n, hit in enumerate(hits, start=1))
        return f"{self.system_prompt}\n\n{PASSAGES_INTRO}\n\n{passages}"

    def _search_knowledge(self, question: str) -> list:
        try:
            knowledge = self.app.getElement(self.knowledge_base)
        except Exception as exc:  # its own load error, e.g. a missing file: that agent's problem, named
            raise AgentError(f"knowledge base {self.knowledge_base} cannot be loaded: {exc}") from exc
        if not callable(getattr(knowledge, "search", None)):
            raise AgentError(f"knowledgeBase {self.knowledge_base} cannot search passages (it is not a knowledge-base agent)")
        return knowledge.search(question)

    def failure(self, exc: openai.OpenAIError, chunks: int = 0) -> AgentError:
        """The AgentError (with the user's message and the log's reason) for a client failure."""
        where = self.base_url
        if isinstance(exc, openai.APITimeoutError):
            return AgentTimeoutError(f"{where} sent nothing for {self.timeout:g} s (timeoutSeconds)")
        if isinstance(exc, openai.APIConnectionError):
            cause = exc.__cause__ or exc
            if chunks:
                return MalformedStreamError(f"{where} broke off the answer after {chunks} chunks: {type(cause).__name__}: {cause}")
            return ServerUnreachableError(f"cannot connect to {where}: {type(cause).__name__}: {cause}")
        if isinstance(exc, openai.APIStatusError):
            status = exc.status_code
            reason = f"HTTP {status} from {where}: {_short(exc.message)}"
            if status in (401, 403):
                hint = " (apiKey is empty)" if not self.api_key else " (check apiKey)"
                return CredentialsRefusedError(reason + hint)
            if status == 429:
                return RateLimitedError(reason)
            if status >= 500:
                return ServerError(reason)
            if status == 404:
                return RequestRejectedError(f"{reason} (check model {self.model!r} and baseUrl)")
            return RequestRejectedError(reason)
        if isinstance(exc, openai.APIResponseValidationError):
            return MalformedStreamError(f"{where} sent a response that is not a chat completion: {_short(str(exc))}")
        if isinstance(exc, openai.APIError):  # an error event inside the stream
            return ServerError(f"{where} reported an error while answering: {_short(exc.message)}")
        return AgentError(f"{type(exc).__name__} talking to {where}: {_short(str(exc))}")


def user_content(question: str, images: Sequence[Image]) -> str | list[dict[str, Any]]:
    """The question as the user message's content: plain text, or text and image_url parts."""
    if not images:
        return question
    parts: list[dict[str, Any]] = [{"type": "text", "text": question}] if question else []
    return parts + [{"type": "image_url", "image_url": {"url": data_url(image)}} for image in images]


def _http_client() -> openai.DefaultAsyncHttpxClient | None:
    """A fresh HTTP client (one per answer: an async client belongs to one event loop) sharing the TLS setup."""
    context = _tls_context()
    return openai.DefaultAsyncHttpxClient(verify=context) if context is not None else None


@functools.cache
def _tls_context() -> ssl.SSLContext | None:
    """The client library's own TLS context, built once: building it reads the CA bundle (~17 ms)."""
    for module in ("httpx2", "httpx"):  # whichever HTTP library this openai release is built on
        try:
            return __import__(module).create_ssl_context()
        except (ImportError, AttributeError):
            continue
    return None


def _short(text: str, limit: int = 300) -> str:
    """One line of at most `limit` characters (error bodies can be whole HTML pages)."""
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"
