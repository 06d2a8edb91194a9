"""The Host check: the editor answers only under the names of the address it is bound to.

Without it, DNS rebinding turns any web page into a client of the editor: the page's own name
is re-pointed at 127.0.0.1, the browser sends the page's name as `Host`, and same-origin rules
let that page read our CSRF token and post forms. A request under any other name is refused
before Flask sees it (static files and the login page included). Names given with
`--allowed-host` are added; when bound to every interface (0.0.0.0, ::) any IP address of the
machine is one of its names, and an IP address cannot be rebound.
"""
from __future__ import annotations

import ipaddress
from collections.abc import Callable, Iterable
from typing import Any

LOCAL_NAMES = ("localhost", "127.0.0.1", "::1")
WILDCARD_ADDRESSES = ("0.0.0.0", "::", "")


def host_name(header: str) -> str:
    """The name in a Host header without its port, lower case: `[::1]:8000` -> `::1`."""
    header = header.strip().lower()
    if header.startswith("["):
        return header[1:].split("]", 1)[0]
    if header.count(":") == 1:
        header = header.split(":", 1)[0]
    return header.rstrip(".")


def _is_ip(name: str) -> bool:
    try:
        ipaddress.ip_address(name)
    except ValueError:
        return False
    return True


class AllowedHosts:
    """The names the editor answers under: this machine's, the bound address and `--allowed-host`."""

    def __init__(self, bound: str = "127.0.0.1", extra: Iterable[str] = ()) -> None:
        self.names = frozenset(host_name(n) for n in (*LOCAL_NAMES, bound, *extra) if host_name(n))
        self.any_ip = host_name(bound) in WILDCARD_ADDRESSES

    def allows(self, header: str) -> bool:
        name = host_name(header)
        return name in self.names or (self.any_ip and _is_ip(name))

    def refusal(self, header: str) -> str:
        """What a refused client reads: which names work, and how to add the one it used."""
        shown = ", ".join(sorted(f"[{n}]" if ":" in n else n for n in self.names))
        if not header.strip():
            return f"Refused: the request names no host. This editor answers to {shown}.\n"
        name = host_name(header)[:100]
        return (f"Refused: this editor does not answer to the host name {name!r} (it answers to {shown}), "
                "which protects it from DNS rebinding. If you reach it under this name on purpose, "
                f"start it with --allowed-host {name}.\n")


class HostCheck:
    """WSGI middleware: a request under a name not allowed gets 421 and a plain message."""

    def __init__(self, wsgi_app: Callable[..., Any], allowed: AllowedHosts) -> None:
        self.wsgi_app = wsgi_app
        self.allowed = allowed

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        header = environ.get("HTTP_HOST", "")
        if header and self.allowed.allows(header):
            return self.wsgi_app(environ, start_response)
        body = self.allowed.refusal(header).encode()
        start_response("421 Misdirected Request", [("Content-Type", "text/plain; charset=utf-8"),
                                                   ("Content-Length", str(len(body))), ("Cache-Control", "no-store")])
        return [body]
