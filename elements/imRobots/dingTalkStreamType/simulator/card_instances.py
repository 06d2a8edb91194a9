"""The card instance endpoints AI cards use (what the SDK's ``AICardReplier`` calls).

* ``POST /v1.0/card/instances`` (create: the body below without the delivery part) then
  ``POST /v1.0/card/instances/deliver`` ``{outTrackId, openSpaceId, im*OpenDeliverModel,
  userIdType}``: the SDK's two steps; the card is visible once delivered.
* ``POST /v1.0/card/instances/createAndDeliver`` ``{cardTemplateId, outTrackId, cardData:
  {cardParamMap: {name: "string"}}, callbackType: "STREAM" | "HTTP", openSpaceId:
  "dtv1.card//IM_GROUP.<openConversationId>" + imGroupOpenDeliverModel{robotCode, atUserIds?} |
  "dtv1.card//IM_ROBOT.<staffId>" + imRobotOpenDeliverModel{spaceType: "IM_ROBOT"},
  imGroupOpenSpaceModel?, imRobotOpenSpaceModel?, userIdType?}`` -> ``{success, result:
  {outTrackId, deliverResults: [...]}}``. cardParamMap values must be strings; an outTrackId
  is used once.
* ``PUT /v1.0/card/instances`` ``{outTrackId, cardData: {cardParamMap}, cardUpdateOptions?:
  {updateCardDataByKey}}``: replaces the parameters (or, by key, merges them).
* ``PUT /v1.0/card/streaming`` ``{outTrackId, guid, key, content, isFull, isFinalize,
  isError}``: sets (isFull) or appends to one parameter; a guid already applied to the card
  is acknowledged and ignored, so a retried update does not type the text twice.

Each call adds a version to the card (its whole cardParamMap after the call), kind "create",
"update", "stream", "finalize" or "error". A card created with callbackType HTTP sends its
button presses to an HTTP route, not over the stream, so pressing one raises ValueError.
"""

from __future__ import annotations

import time
import uuid
from typing import Any

from aiohttp import web

from .jsonhttp import INVALID_PARAMETER, read_json_object
from .recorder import CardRecord, CardVersion

CREATE_AND_DELIVER_PATH = "/v1.0/card/instances/createAndDeliver"
INSTANCE_PATH = "/v1.0/card/instances"
DELIVER_PATH = "/v1.0/card/instances/deliver"
STREAMING_PATH = "/v1.0/card/streaming"
GROUP_SPACE = "dtv1.card//IM_GROUP."
ROBOT_SPACE = "dtv1.card//IM_ROBOT."
PARAMS = "cardParamMap"


def param_map(body: dict[str, Any]) -> dict[str, str] | None:
    """cardData.cardParamMap when it maps names to strings, else None."""
    card_data = body.get("cardData")
    params = card_data.get(PARAMS) if isinstance(card_data, dict) else None
    if not isinstance(params, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in params.items()):
        return None
    return params


class CardInstanceHandlers:
    """Mixed into OpenApi: uses its ``_authorize``, ``_permission``, ``_answer`` and recorder."""

    _undelivered: dict[str, CardRecord]  # created, not yet delivered (OpenApi sets it up)

    def add_card_instance_routes(self, app: web.Application) -> None:
        app.router.add_post(CREATE_AND_DELIVER_PATH, self._create_and_deliver)
        app.router.add_post(INSTANCE_PATH, self._create)
        app.router.add_post(DELIVER_PATH, self._deliver)
        app.router.add_put(INSTANCE_PATH, self._update_instance)
        app.router.add_put(STREAMING_PATH, self._stream)

    def _refuse(self, request: web.Request, client_id: str, message: str) -> web.Response:
        return self._answer(request, client_id, 400, code=INVALID_PARAMETER, message=message)

    async def _caller(self, request: web.Request) -> tuple[Any, dict[str, Any]] | web.Response:
        """(app, body) of an authorised card call, or the refusal."""
        token = self._authorize(request)
        if isinstance(token, web.Response):
            return token
        app = self._apps.require(token.client_id)
        denied = self._permission(request, app)
        if denied is not None:
            return denied
        body = await read_json_object(request)
        if body is None:
            return self._refuse(request, app.client_id, "body must be a JSON object")
        return app, body

    async def _create_and_deliver(self, request: web.Request) -> web.Response:
        caller = await self._caller(request)
        if isinstance(caller, web.Response):
            return caller
        app, body = caller
        created = self._new_instance(request, app, body)
        if isinstance(created, web.Response):
            return created
        return self._deliver_instance(request, app, body, created)

    async def _create(self, request: web.Request) -> web.Response:
        caller = await self._caller(request)
        if isinstance(caller, web.Response):
            return caller
        app, body = caller
        created = self._new_instance(request, app, body)
        if isinstance(created, web.Response):
            return created
        self._undelivered[created.card_biz_id] = created
        return self._answer(request, app.client_id, body={"success": True, "result": created.card_biz_id})

    async def _deliver(self, request: web.Request) -> web.Response:
        caller = await self._caller(request)
        if isinstance(caller, web.Response):
            return caller
        app, body = caller
        track_id = body.get("outTrackId")
        created = self._undelivered.get(track_id) if isinstance(track_id, str) else None
        if created is None or created.client_id != app.client_id:
            return self._refuse(request, app.client_id, f"outTrackId {track_id!r} is no created, undelivered card of this app")
        answer = self._deliver_instance(request, app, body, created)
        if answer.status == 200:
            del self._undelivered[created.card_biz_id]
        return answer

    def _new_instance(self, request: web.Request, app: Any, body: dict[str, Any]) -> CardRecord | web.Response:
        """A card instance from a create body (not recorded until delivered), or the refusal."""
        track_id, template_id, params = body.get("outTrackId"), body.get("cardTemplateId"), param_map(body)
        if not isinstance(track_id, str) or not track_id or not isinstance(template_id, str) or not template_id:
            return self._refuse(request, app.client_id, "cardTemplateId and outTrackId are required")
        if params is None:
            return self._refuse(request, app.client_id, "cardData.cardParamMap must map names to strings")
        if self._recorder.card(track_id) is not None or track_id in self._undelivered:
            return self._refuse(request, app.client_id, f"outTrackId {track_id!r} is already used by a card")
        callback_type = body.get("callbackType", "HTTP")
        if callback_type not in ("STREAM", "HTTP"):
            return self._refuse(request, app.client_id, "callbackType must be STREAM or HTTP")
        return CardRecord(card_biz_id=track_id, client_id=app.client_id, card_template_id=template_id, conversation_id="",
                          conversation_type="", receiver_user_id="", reply_to_msg_id="", send_options=body,
                          versions=[CardVersion({PARAMS: dict(params)}, time.time(), "create")], callback_type=callback_type)

    def _deliver_instance(self, request: web.Request, app: Any, body: dict[str, Any], card: CardRecord) -> web.Response:
        """Record a created card in the space a deliver body names, or refuse."""
        target = self._space(app, body)
        if isinstance(target, str):
            return self._refuse(request, app.client_id, target)
        card.conversation_type, card.conversation_id, card.receiver_user_id, space = target
        card.reply_to_msg_id = self._guess_reply_to(app.client_id, card.conversation_id)
        card.send_options = {**card.send_options, **body}
        self._recorder.add_card(card)
        space_type, space_id = space.removeprefix("dtv1.card//").split(".", 1)
        return self._answer(request, app.client_id, body={"success": True, "result": {
            "outTrackId": card.card_biz_id,
            "deliverResults": [{"spaceType": space_type, "spaceId": space_id, "success": True, "carrierId": uuid.uuid4().hex}]}})

    def _space(self, app: Any, body: dict[str, Any]) -> tuple[str, str, str, str] | str:
        """(conversationType, conversationId, receiver staff id, openSpaceId), or why the target is wrong."""
        space = body.get("openSpaceId")
        if isinstance(space, str) and space.startswith(GROUP_SPACE) and len(space) > len(GROUP_SPACE):
            model = body.get("imGroupOpenDeliverModel")
            if not isinstance(model, dict) or model.get("robotCode") != app.client_id:
                return "a group card needs imGroupOpenDeliverModel.robotCode (the robot's clientId)"
            return "2", space[len(GROUP_SPACE):], "", space
        if isinstance(space, str) and space.startswith(ROBOT_SPACE) and len(space) > len(ROBOT_SPACE):
            model = body.get("imRobotOpenDeliverModel")
            if not isinstance(model, dict) or model.get("spaceType") != "IM_ROBOT":
                return "a single-chat card needs imRobotOpenDeliverModel.spaceType IM_ROBOT"
            user_id = space[len(ROBOT_SPACE):]
            return "1", app.single_conversation_id(user_id), user_id, space
        return "openSpaceId must be dtv1.card//IM_GROUP.<openConversationId> or dtv1.card//IM_ROBOT.<userId>"

    def _own_card(self, request: web.Request, app: Any, body: dict[str, Any]) -> CardRecord | web.Response:
        track_id = body.get("outTrackId")
        card = self._recorder.card(track_id) if isinstance(track_id, str) else None
        if card is None or card.client_id != app.client_id or card.callback_type is None:
            return self._refuse(request, app.client_id, f"outTrackId {track_id!r} is not a card instance of this app")
        return card

    async def _update_instance(self, request: web.Request) -> web.Response:
        caller = await self._caller(request)
        if isinstance(caller, web.Response):
            return caller
        app, body = caller
        card = self._own_card(request, app, body)
        if isinstance(card, web.Response):
            return card
        params = param_map(body)
        if params is None:
            return self._refuse(request, app.client_id, "cardData.cardParamMap must map names to strings")
        options = body.get("cardUpdateOptions")
        by_key = isinstance(options, dict) and options.get("updateCardDataByKey") is True
        merged = {**card.latest[PARAMS], **params} if by_key else dict(params)
        self._recorder.add_card_version(card.card_biz_id, CardVersion({PARAMS: merged}, time.time(), "update"))
        return self._answer(request, app.client_id, body={"success": True, "result": True})

    async def _stream(self, request: web.Request) -> web.Response:
        caller = await self._caller(request)
        if isinstance(caller, web.Response):
            return caller
        app, body = caller
        card = self._own_card(request, app, body)
        if isinstance(card, web.Response):
            return card
        guid, key, content = body.get("guid"), body.get("key"), body.get("content")
        flags = {name: body.get(name, False) for name in ("isFull", "isFinalize", "isError")}
        if not isinstance(guid, str) or not guid or not isinstance(key, str) or not key or not isinstance(content, str):
            return self._refuse(request, app.client_id, "guid, key and content (a string) are required")
        if not all(isinstance(value, bool) for value in flags.values()):
            return self._refuse(request, app.client_id, "isFull, isFinalize and isError must be booleans")
        if any(version.guid == guid for version in card.versions):
            return self._answer(request, app.client_id, body={"success": True, "result": True})
        params = dict(card.latest[PARAMS])
        params[key] = content if flags["isFull"] else params.get(key, "") + content
        kind = "error" if flags["isError"] else "finalize" if flags["isFinalize"] else "stream"
        self._recorder.add_card_version(card.card_biz_id, CardVersion({PARAMS: params}, time.time(), kind, guid))
        return self._answer(request, app.client_id, body={"success": True, "result": True})
