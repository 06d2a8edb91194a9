"""The control API under ``/_sim/``: drive a running simulator from another process.

The CLI (``element-studio sim send``) and the editor's playground use it; it is JSON in and
out. Request fields use DingTalk's camelCase names; records come back with camelCase keys,
wire payloads (card data, frames, webhook bodies) untouched. A POST must send
``Content-Type: application/json`` (415 otherwise), which keeps web pages in a browser from
driving the simulator behind the user's back. Unknown ids answer 404, bad input 400, both as
``{"error": "..."}``.

=====  ========================================  =============================================
verb   path                                      body / query -> answer
=====  ========================================  =============================================
GET    /_sim/                                    this table as JSON
GET    /_sim/apps                                -> [{clientId, robotName, cardPermission,
                                                 liveConnections}]
POST   /_sim/apps                                {clientId, clientSecret, robotName?}
POST   /_sim/apps/{clientId}/card-permission     {allowed: bool}
POST   /_sim/messages                            {clientId, text, conversationType? "1"|"2",
                                                 senderNick?, senderStaffId?, conversationId?,
                                                 conversationTitle?, msgtype?}
                                                 -> {msgId, conversationId}
GET    /_sim/messages                            ?clientId&conversationId -> [message]
POST   /_sim/messages/{msgId}/redeliver          -> {sent: bool}
POST   /_sim/messages/{msgId}/expire-session     -> {expired: bool}
POST   /_sim/buttons                             {cardBizId, buttonId? | label?, userId?,
                                                 params?} -> {messageId}
GET    /_sim/cards                               ?clientId&conversationId&msgId -> [card with
                                                 versions]
GET    /_sim/replies                             ?clientId&conversationId&msgId -> [reply]
GET    /_sim/acks                                ?clientId -> [ack]
GET    /_sim/connections                         ?clientId -> [connection]
POST   /_sim/connections/{clientId}/drop         -> {count}
POST   /_sim/connections/{clientId}/freeze       {frozen?: bool = true} -> {count}
POST   /_sim/connections/{clientId}/disconnect   {closeAfter?: seconds} -> {messageIds}
POST   /_sim/connections/{clientId}/ping         -> {messageIds}
POST   /_sim/tokens/revoke                       {clientId?} -> {count}
=====  ========================================  =============================================
"""

from __future__ import annotations

import re
from dataclasses import asdict
from typing import TYPE_CHECKING, Any, Awaitable, Callable

from aiohttp import web

from .jsonhttp import read_json_object

if TYPE_CHECKING:
    from .server import DingTalkSimulator

PREFIX = "/_sim"
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def _camel(name: str) -> str:
    """snake_case -> camelCase."""
    return re.sub(r"_([a-z])", lambda m: m.group(1).upper(), name)


def jsonable(record: Any) -> dict[str, Any]:
    """A recorder dataclass as JSON data: camelCase keys, nested versions too, payloads as-is."""
    data = {_camel(k): v for k, v in asdict(record).items()}
    for name in ("live", "msgtype", "text"):
        if isinstance(getattr(type(record), name, None), property):
            data[name] = getattr(record, name)
    if "versions" in data:
        data["versions"] = [{_camel(k): v for k, v in item.items()} for item in data["versions"]]
    return data


def _error(status: int, message: str) -> web.Response:
    """The control API's error answer."""
    return web.json_response({"error": message}, status=status)


class ControlApi:
    """HTTP handlers that call the simulator's own methods."""

    def __init__(self, sim: DingTalkSimulator) -> None:
        self._sim = sim

    def add_routes(self, app: web.Application) -> None:
        """Mount every /_sim route."""
        routes: list[tuple[str, str, Handler]] = [
            ("GET", "/", self._index),
            ("GET", "/apps", self._apps),
            ("POST", "/apps", self._register_app),
            ("POST", "/apps/{clientId}/card-permission", self._card_permission),
            ("POST", "/messages", self._send_message),
            ("GET", "/messages", self._messages),
            ("POST", "/messages/{msgId}/redeliver", self._redeliver),
            ("POST", "/messages/{msgId}/expire-session", self._expire_session),
            ("POST", "/buttons", self._press_button),
            ("GET", "/cards", self._cards),
            ("GET", "/replies", self._replies),
            ("GET", "/acks", self._acks),
            ("GET", "/connections", self._connections),
            ("POST", "/connections/{clientId}/drop", self._drop),
            ("POST", "/connections/{clientId}/freeze", self._freeze),
            ("POST", "/connections/{clientId}/disconnect", self._disconnect),
            ("POST", "/connections/{clientId}/ping", self._ping),
            ("POST", "/tokens/revoke", self._revoke),
        ]
        for method, path, handler in routes:
            app.router.add_route(method, PREFIX + path, self._guarded(method, handler))

    @staticmethod
    def _guarded(method: str, handler: Handler) -> Handler:
        """Wrap a handler: JSON-only POSTs, KeyError -> 404, ValueError -> 400."""
        async def wrapper(request: web.Request) -> web.StreamResponse:
            if method == "POST" and request.content_type != "application/json":
                return _error(415, "POST with Content-Type: application/json")
            try:
                return await handler(request)
            except KeyError as exc:
                return _error(404, str(exc.args[0] if exc.args else exc))
            except ValueError as exc:
                return _error(400, str(exc))
        return wrapper

    @staticmethod
    async def _body(request: web.Request) -> dict[str, Any]:
        """The JSON object body (empty allowed); ValueError otherwise."""
        if not request.can_read_body:
            return {}
        body = await read_json_object(request)
        if body is None:
            raise ValueError("body must be a JSON object")
        return body

    @staticmethod
    def _required(body: dict[str, Any], name: str) -> Any:
        """A required field, ValueError naming it when absent."""
        if body.get(name) in (None, ""):
            raise ValueError(f"{name} is required")
        return body[name]

    # -- handlers -------------------------------------------------------------------------

    async def _index(self, request: web.Request) -> web.Response:
        """The route table (from this module's docstring)."""
        table = [line for line in (__doc__ or "").splitlines()
                 if line.startswith(("GET ", "POST "))]
        return web.json_response({"baseUrl": self._sim.base_url, "routes": table})

    async def _apps(self, request: web.Request) -> web.Response:
        """The registered apps (secrets left out)."""
        return web.json_response([
            {"clientId": a.client_id, "robotName": a.robot_name,
             "cardPermission": a.card_permission,
             "liveConnections": self._sim.live_connection_count(a.client_id)}
            for a in self._sim.apps.all()])

    async def _register_app(self, request: web.Request) -> web.Response:
        """Register an app so a robot can log in with its credentials."""
        body = await self._body(request)
        app = self._sim.register_app(str(self._required(body, "clientId")),
                                     str(self._required(body, "clientSecret")),
                                     robot_name=str(body.get("robotName") or "Demo Robot"))
        return web.json_response({"clientId": app.client_id, "robotName": app.robot_name})

    async def _card_permission(self, request: web.Request) -> web.Response:
        """Switch an app's card permission."""
        body = await self._body(request)
        allowed = bool(body.get("allowed", True))
        await self._sim.set_card_permission(request.match_info["clientId"], allowed)
        return web.json_response({"cardPermission": allowed})

    async def _send_message(self, request: web.Request) -> web.Response:
        """Push a user message to a robot."""
        body = await self._body(request)
        client_id = str(self._required(body, "clientId"))
        kwargs: dict[str, Any] = {}
        for field, arg in (("conversationType", "conversation_type"),
                           ("senderNick", "sender_nick"), ("senderStaffId", "sender_staff_id"),
                           ("conversationId", "conversation_id"),
                           ("conversationTitle", "conversation_title"), ("msgtype", "msgtype")):
            if body.get(field) not in (None, ""):
                kwargs[arg] = str(body[field])
        msg_id = await self._sim.send_message(client_id, str(self._required(body, "text")),
                                              **kwargs)
        message = self._sim.recorder.message(msg_id)
        return web.json_response({"msgId": msg_id,
                                  "conversationId": message.conversation_id if message else ""})

    async def _messages(self, request: web.Request) -> web.Response:
        """Robot messages pushed so far."""
        q = request.query
        return web.json_response([jsonable(m) for m in self._sim.messages(
            q.get("clientId"), q.get("conversationId"))])

    async def _redeliver(self, request: web.Request) -> web.Response:
        """Push a message again now."""
        return web.json_response({"sent": await self._sim.redeliver(request.match_info["msgId"])})

    async def _expire_session(self, request: web.Request) -> web.Response:
        """Expire a message's session webhook."""
        expired = await self._sim.expire_session(request.match_info["msgId"])
        if not expired:
            raise KeyError(f"no session for {request.match_info['msgId']!r}")
        return web.json_response({"expired": True})

    async def _press_button(self, request: web.Request) -> web.Response:
        """Click a card button."""
        body = await self._body(request)
        params = body.get("params")
        if params is not None and not isinstance(params, dict):
            raise ValueError("params must be an object")
        message_id = await self._sim.press_button(
            str(self._required(body, "cardBizId")), button_id=body.get("buttonId"),
            label=body.get("label"), user_id=body.get("userId"), params=params)
        return web.json_response({"messageId": message_id})

    async def _cards(self, request: web.Request) -> web.Response:
        """Cards with their versions."""
        q = request.query
        return web.json_response([jsonable(c) for c in self._sim.cards(
            q.get("clientId"), q.get("conversationId"), q.get("msgId"))])

    async def _replies(self, request: web.Request) -> web.Response:
        """Session-webhook replies."""
        q = request.query
        return web.json_response([jsonable(r) for r in self._sim.webhook_replies(
            q.get("clientId"), q.get("conversationId"), q.get("msgId"))])

    async def _acks(self, request: web.Request) -> web.Response:
        """Client response frames."""
        return web.json_response([jsonable(a) for a in self._sim.acks(request.query.get("clientId"))])

    async def _connections(self, request: web.Request) -> web.Response:
        """Stream connections, open and closed."""
        return web.json_response([jsonable(c) for c in self._sim.connections(
            request.query.get("clientId"))])

    async def _drop(self, request: web.Request) -> web.Response:
        """Abort an app's connections."""
        return web.json_response(
            {"count": await self._sim.drop_connection(request.match_info["clientId"])})

    async def _freeze(self, request: web.Request) -> web.Response:
        """Freeze or thaw an app's connections."""
        body = await self._body(request)
        count = await self._sim.freeze(request.match_info["clientId"],
                                       bool(body.get("frozen", True)))
        return web.json_response({"count": count})

    async def _disconnect(self, request: web.Request) -> web.Response:
        """Send SYSTEM disconnect (and maybe close after a delay)."""
        body = await self._body(request)
        close_after = body.get("closeAfter")
        if close_after is not None and not isinstance(close_after, (int, float)):
            raise ValueError("closeAfter must be a number of seconds")
        ids = await self._sim.send_system_disconnect(request.match_info["clientId"], close_after)
        return web.json_response({"messageIds": ids})

    async def _ping(self, request: web.Request) -> web.Response:
        """Send a SYSTEM ping."""
        return web.json_response(
            {"messageIds": await self._sim.ping(request.match_info["clientId"])})

    async def _revoke(self, request: web.Request) -> web.Response:
        """Revoke access tokens."""
        body = await self._body(request)
        return web.json_response({"count": await self._sim.revoke_tokens(body.get("clientId"))})
