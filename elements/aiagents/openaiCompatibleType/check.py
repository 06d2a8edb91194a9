""""Test connection" for the editor: does the server answer, accept the key and offer the model?

It lists the server's models (`GET {baseUrl}/models`, which costs no tokens); a server that
offers no model list is asked for a one-token completion instead. Each step fails in the
person's words: cannot reach the server, key refused, model not offered (with the ones it has).
"""
from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from element_studio.contract import ConnectionCheck

CHECK_TIMEOUT = 15.0  # seconds; a test should answer sooner than a slow answer may take
SHOWN_MODELS = 12


async def check_connection(config: dict[str, Any], offline_endpoint: str | None = None, full_name: str = "") -> ConnectionCheck:
    """A ConnectionCheck: ok, or the step that failed ("settings", "network", "credentials", "not found", ...)."""
    import openai  # ~0.5 s to import: only when a test runs

    from .agent import NO_KEY, _http_client, _short

    base_url, model = (config.get("baseUrl") or "").rstrip("/"), config.get("model") or ""
    if not base_url or not model:
        return ConnectionCheck(False, "settings", "fill in the API base URL and the model first")
    server = urlsplit(base_url).netloc or base_url
    timeout = min(float(config.get("timeoutSeconds") or CHECK_TIMEOUT), CHECK_TIMEOUT)
    client = openai.AsyncOpenAI(base_url=base_url, api_key=config.get("apiKey") or NO_KEY, timeout=timeout,
                                max_retries=0, http_client=_http_client())
    try:
        async with client:
            models = await _model_ids(client, openai)
            if models is None:
                await _one_token(client, model)
            elif model not in models:
                offered = ", ".join(sorted(models)[:SHOWN_MODELS]) or "none"
                return ConnectionCheck(False, "not found", f"{base_url} accepted the key but offers no model {model!r}; "
                                       f"it offers: {offered}", server)
    except openai.APITimeoutError:
        return ConnectionCheck(False, "network", f"{base_url} sent nothing for {timeout:g} s", server)
    except openai.APIConnectionError as exc:
        cause = exc.__cause__ or exc
        return ConnectionCheck(False, "network", f"cannot connect to {base_url}: {type(cause).__name__}: {_short(str(cause))}", server)
    except openai.APIStatusError as exc:
        reason = f"HTTP {exc.status_code} from {base_url}: {_short(exc.message)}"
        if exc.status_code in (401, 403):
            hint = "apiKey is empty" if not config.get("apiKey") else "check apiKey"
            return ConnectionCheck(False, "credentials", f"{reason} ({hint})", server)
        if exc.status_code == 404:
            return ConnectionCheck(False, "not found", f"{reason} (check model {model!r} and baseUrl)", server)
        return ConnectionCheck(False, "server", reason, server)
    except openai.OpenAIError as exc:
        return ConnectionCheck(False, "server", f"{base_url} did not answer like an OpenAI-compatible API: {_short(str(exc))}", server)
    return ConnectionCheck(True, "connected", f"{base_url} accepted the key and offers model {model}", server)


async def _model_ids(client: Any, openai: Any) -> set[str] | None:
    """The models the server offers; None when it has no model list (some local servers)."""
    try:
        page = await client.models.list()
    except openai.NotFoundError:
        return None
    except openai.APIStatusError as exc:
        if exc.status_code == 405:
            return None
        raise
    return {item.id async for item in page}


async def _one_token(client: Any, model: str) -> None:
    """Ask for one token of an answer: the key and the model are checked, almost nothing is spent."""
    stream = await client.chat.completions.create(model=model, messages=[{"role": "user", "content": "ping"}],
                                                  max_tokens=1, stream=True)
    async for _ in stream:
        break
    await stream.close()
