"""Pure builders for what travels on the stream: frames, robot messages, card callbacks.

Shapes follow dingtalk-stream 0.24.x (``frames.py``, ``chatbot.py``, ``card_callback.py``):

* a server frame is ``{specVersion, type, headers{appId, connectionId, contentType,
  messageId, time, topic}, data}`` where ``time`` is milliseconds *as a string* and ``data``
  is a JSON *string*; EVENT frames add ``eventBornTime, eventCorpId, eventId, eventType,
  eventUnifiedAppId`` to the headers;
* a client response (ACK) is ``{code, headers{messageId, contentType}, message, data}``.

Nothing here does I/O, so every shape can be checked against the SDK's own parsers.
"""

from __future__ import annotations

import base64
import json
import time
import uuid
from typing import Any

from .app_registry import SimulatedApp

SPEC_VERSION = "1.0"
CONTENT_TYPE = "application/json"

TYPE_SYSTEM = "SYSTEM"
TYPE_EVENT = "EVENT"
TYPE_CALLBACK = "CALLBACK"

TOPIC_ROBOT_MESSAGE = "/v1.0/im/bot/messages/get"
TOPIC_CARD_CALLBACK = "/v1.0/card/instances/callback"
TOPIC_PING = "ping"
TOPIC_DISCONNECT = "disconnect"

MSGTYPES = ("text", "picture", "file", "audio", "video", "richText")


def now_ms() -> int:
    """Milliseconds since the epoch, the unit of every DingTalk timestamp."""
    return int(time.time() * 1000)


def new_message_id() -> str:
    """A fresh stream messageId (what an ACK echoes)."""
    return str(uuid.uuid4())


def new_msg_id() -> str:
    """A fresh robot msgId in DingTalk's look (``msg`` + base64)."""
    return "msg" + base64.b64encode(uuid.uuid4().bytes).decode("ascii")


def new_download_code() -> str:
    """An opaque downloadCode for a picture/file/audio/video message."""
    return "sim-dl-" + uuid.uuid4().hex


def stream_frame(frame_type: str, topic: str, data: Any, *, app_id: str, connection_id: str,
                 message_id: str | None = None,
                 extra_headers: dict[str, str] | None = None) -> dict[str, Any]:
    """A server->client frame exactly as the SDK parses it (data becomes a JSON string)."""
    headers = {
        "appId": app_id,
        "connectionId": connection_id,
        "contentType": CONTENT_TYPE,
        "messageId": message_id or new_message_id(),
        "time": str(now_ms()),
        "topic": topic,
    }
    if extra_headers:
        headers.update(extra_headers)
    return {
        "specVersion": SPEC_VERSION,
        "type": frame_type,
        "headers": headers,
        "data": data if isinstance(data, str) else json.dumps(data, ensure_ascii=False),
    }


def readdressed(frame: dict[str, Any], connection_id: str) -> dict[str, Any]:
    """The same frame (same messageId, same data) stamped for another send on a connection."""
    headers = dict(frame["headers"], connectionId=connection_id, time=str(now_ms()))
    return dict(frame, headers=headers)


def event_headers(event_type: str, corp_id: str, app_id: str) -> dict[str, str]:
    """The extra headers of an EVENT frame (all strings, ``eventBornTime`` int()-able)."""
    return {
        "eventBornTime": str(now_ms()),
        "eventCorpId": corp_id,
        "eventId": uuid.uuid4().hex,
        "eventType": event_type,
        "eventUnifiedAppId": app_id,
    }


def ping_data() -> dict[str, str]:
    """The data of a SYSTEM ping; the client must echo it back in its ACK."""
    return {"opaque": str(uuid.uuid4())}


def disconnect_data(reason: str = "simulator asked the client to reconnect") -> dict[str, str]:
    """The data of a SYSTEM disconnect frame."""
    return {"reason": reason}


def chatbot_message_data(app: SimulatedApp, *, text: str, msg_id: str, conversation_type: str,
                         conversation_id: str, session_webhook: str, session_expires_ms: int,
                         sender_staff_id: str, sender_nick: str, msgtype: str = "text",
                         conversation_title: str = "", is_admin: bool = True,
                         at_robot: bool = True, download_code: str = "",
                         create_at_ms: int | None = None) -> dict[str, Any]:
    """The data of a robot message as ``ChatbotMessage.from_dict`` reads it.

    Group text keeps the space DingTalk leaves where it stripped the @mention of the robot,
    so a robot that forgets ``strip()`` sees what it would see in production.
    """
    if conversation_type not in ("1", "2"):
        raise ValueError("conversation_type must be '1' (single chat) or '2' (group)")
    if msgtype not in MSGTYPES:
        raise ValueError(f"msgtype must be one of {MSGTYPES}")
    data: dict[str, Any] = {
        "conversationId": conversation_id,
        "chatbotCorpId": app.corp_id,
        "chatbotUserId": app.chatbot_user_id,
        "msgId": msg_id,
        "senderNick": sender_nick,
        "isAdmin": is_admin,
        "senderStaffId": sender_staff_id,
        "sessionWebhookExpiredTime": session_expires_ms,
        "createAt": create_at_ms if create_at_ms is not None else now_ms(),
        "senderCorpId": app.corp_id,
        "conversationType": conversation_type,
        "senderId": app.sender_id(sender_staff_id),
        "sessionWebhook": session_webhook,
        "robotCode": app.client_id,
        "msgtype": msgtype,
    }
    if conversation_type == "2":
        data["conversationTitle"] = conversation_title or "Simulator group"
        data["atUsers"] = [{"dingtalkId": app.chatbot_user_id}] if at_robot else []
        data["isInAtList"] = at_robot
    if msgtype == "text":
        data["text"] = {"content": (" " + text) if conversation_type == "2" and at_robot else text}
    elif msgtype == "picture":
        data["content"] = {"downloadCode": download_code, "pictureDownloadCode": download_code}
    elif msgtype == "file":
        data["content"] = {"downloadCode": download_code, "fileName": text or "file.txt"}
    elif msgtype == "audio":
        data["content"] = {"downloadCode": download_code, "duration": 3000, "recognition": text}
    elif msgtype == "video":
        data["content"] = {"downloadCode": download_code, "duration": 5000, "videoType": "mp4"}
    elif msgtype == "richText":
        rich: list[dict[str, Any]] = [{"text": text}]
        if download_code:
            rich.append({"downloadCode": download_code, "pictureDownloadCode": download_code,
                         "type": "picture"})
        data["content"] = {"richText": rich}
    return data


def find_button(card_data: dict[str, Any], *, button_id: str | None = None,
                label: str | None = None) -> dict[str, Any] | None:
    """The first button in a StandardCard whose id or label text matches (None if absent).

    Buttons live in ``contents[] -> {type: action, actions: [...]}``; the search walks the
    whole card so a button nested elsewhere is found too.
    """
    for button in card_buttons(card_data):
        if button_id is not None and button.get("id") == button_id:
            return button
        if label is not None and button_label(button) == label:
            return button
    return None


def card_buttons(card_data: dict[str, Any]) -> list[dict[str, Any]]:
    """The buttons of a card version: a StandardCard's, or a card instance's msgButtons.

    An AI card template draws ``msgButtons`` from the JSON string ``sys_full_json_obj``; a
    button with ``"request": true`` calls back, any other opens its ``url``. They are returned
    in the StandardCard's shape (``id``, ``label.text``, ``actionType``), without a ``value``.
    """
    params = card_data.get("cardParamMap")
    if not isinstance(params, dict):
        return iter_buttons(card_data)
    try:
        system = json.loads(params.get("sys_full_json_obj") or "{}")
    except (TypeError, ValueError):
        return []
    buttons = system.get("msgButtons") if isinstance(system, dict) else None
    return [{"type": "button", "id": str(b.get("id", "")), "label": {"type": "text", "text": str(b.get("text", ""))},
             "actionType": "request" if b.get("request") is True else "openLink"}
            for b in (buttons if isinstance(buttons, list) else []) if isinstance(b, dict)]


def iter_buttons(node: Any) -> list[dict[str, Any]]:
    """Every ``{"type": "button"}`` object in a card, in document order."""
    found: list[dict[str, Any]] = []
    if isinstance(node, dict):
        if node.get("type") == "button":
            found.append(node)
        for value in node.values():
            found.extend(iter_buttons(value))
    elif isinstance(node, list):
        for item in node:
            found.extend(iter_buttons(item))
    return found


def button_label(button: dict[str, Any]) -> str:
    """A button's visible text."""
    label = button.get("label")
    if isinstance(label, dict):
        return str(label.get("text", ""))
    return str(label or "")


def button_params(button: dict[str, Any]) -> dict[str, Any]:
    """The params a press reports: the button's ``value`` JSON string, decoded.

    A value that is not a JSON object is passed as ``{"value": ...}`` so nothing is lost.
    """
    value = button.get("value")
    if value is None or value == "":
        return {}
    if isinstance(value, dict):
        return dict(value)
    try:
        parsed = json.loads(value) if isinstance(value, str) else value
    except ValueError:
        return {"value": value}
    return parsed if isinstance(parsed, dict) else {"value": parsed}


def card_callback_data(*, out_track_id: str, user_id: str, corp_id: str, action_id: str,
                       params: dict[str, Any], space_type: str, space_id: str,
                       extension: dict[str, Any] | None = None) -> dict[str, Any]:
    """The data of a card button callback as ``CardCallbackMessage.from_dict`` reads it.

    ``content`` and ``extension`` are JSON strings, as DingTalk sends them; ``userIdType`` 1
    means ``userId`` is a staff id.
    """
    content = {"cardPrivateData": {"actionIds": [action_id], "params": params}}
    return {
        "outTrackId": out_track_id,
        "userId": user_id,
        "corpId": corp_id,
        "type": "actionCallback",
        "content": json.dumps(content, ensure_ascii=False),
        "extension": json.dumps(extension or {}, ensure_ascii=False),
        "spaceType": space_type,
        "spaceId": space_id,
        "userIdType": 1,
    }


class ClientFrameError(ValueError):
    """A client sent something that is not a response frame."""


def parse_client_frame(raw: str) -> dict[str, Any]:
    """Decode a client's response frame; raise :class:`ClientFrameError` when malformed."""
    try:
        frame = json.loads(raw)
    except ValueError as exc:
        raise ClientFrameError(f"not JSON: {exc}") from exc
    if not isinstance(frame, dict):
        raise ClientFrameError("not a JSON object")
    headers = frame.get("headers")
    if not isinstance(headers, dict) or not isinstance(headers.get("messageId"), str):
        raise ClientFrameError("headers.messageId missing")
    return frame


def decode_ack_data(data: Any) -> Any:
    """An ACK's ``data`` (a JSON string per the protocol) decoded when it is one."""
    if isinstance(data, str):
        try:
            return json.loads(data)
        except ValueError:
            return data
    return data
