"""What a call to a chat platform fails with below HTTP, said in one line without URLs (a socket
URL holds a ticket, a reply URL a session): every IM Type's HTTP calls and connection loop
report network faults the same way, as one line, never a traceback."""
from __future__ import annotations

import aiohttp


def _proxy_errors() -> tuple[type[BaseException], ...]:
    """The failures of a robot's proxy: aiohttp-socks raises its own classes (not OSErrors)."""
    import aiohttp_socks
    import python_socks

    return (aiohttp_socks.ProxyError, aiohttp_socks.ProxyConnectionError, aiohttp_socks.ProxyTimeoutError,
            python_socks.ProxyError, python_socks.ProxyConnectionError, python_socks.ProxyTimeoutError)


PROXY_ERRORS = _proxy_errors()
NETWORK_ERRORS: tuple[type[BaseException], ...] = (aiohttp.ClientError, OSError, *PROXY_ERRORS)


def network_reason(exc: BaseException) -> str:
    """A network failure as a reason a user can act on ("cannot connect to host:port (...)"),
    and what the robot's proxy said when it was the proxy."""
    if isinstance(exc, PROXY_ERRORS):
        return f"proxy: {str(exc).split(' [', 1)[0]}"  # "[Errno 111] Couldn't connect to proxy 127.0.0.1:1"
    if isinstance(exc, aiohttp.ClientConnectorError):
        return f"cannot connect to {exc.host}:{exc.port} ({exc.os_error.strerror or type(exc.os_error).__name__})"
    if isinstance(exc, aiohttp.ClientResponseError):
        return f"HTTP {exc.status} {exc.message}"
    return describe(exc)


def describe(exc: BaseException) -> str:
    """An exception as one short line without URLs."""
    text = str(exc)
    return type(exc).__name__ + (f": {text}" if text and "://" not in text else "")
