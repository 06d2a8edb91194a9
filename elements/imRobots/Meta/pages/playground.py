"""The Playground tab of every IM robot: talk to it through its Type's built-in simulator.

A question goes to the simulator as a platform user's message (a group @mention or a single
chat); the robot answers exactly as on the platform, and the page polls the cards and replies
the simulator recorded until the answer ends. Feedback buttons call the simulator's
`press_button`, so the robot receives a real card callback and stores the rating itself.
The Type's `chat_platform` hook says which config fields are the robot's app id and secret;
the secret stays on the server: registering it with the simulator is a POST.
"""
from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any

from flask import Blueprint, Response, abort, g, make_response, render_template, request, session

from element_studio.contract import EditorPage, ElementError, FieldKind, InstanceState, Link, editor_host, hook_of, redactor, reported

from ..chat_platform import ChatPlatform
from .playground_chat import Chat, turns
MAX_QUESTION = 2000
MAX_NICK = 40
DEFAULT_NICK = "Playground user"

FAMILY = "imRobots.Meta"
bp = Blueprint("playground", __name__, url_prefix="/instances/<name>/playground", template_folder="templates")


@dataclass(frozen=True)
class Readiness:
    """Whether the chat can send now, and if not, why (one of the states below) and what to do."""

    state: str  # ready | not_robot | no_simulator | config | unregistered | other_secret | stopped | connecting | error
    detail: str = ""
    client_id: str = ""

    @property
    def ready(self) -> bool:
        return self.state == "ready"

    @property
    def may_change(self) -> bool:
        """States that end by themselves or from another page: the notice polls for them."""
        return self.state in ("stopped", "connecting", "error")


def robot(name: str) -> Any:
    """The IM robot named in the URL; 404 for an instance of another family."""
    host = editor_host()
    element = host.instance(name)
    if host.app.chain(name)[-1].full_name != FAMILY:
        abort(404)
    return element


def platform(name: str) -> ChatPlatform | None:
    """The instance's Type's chat specifics, or None for a Type that offers no chat."""
    try:
        found = hook_of(editor_host().app, editor_host().instance(name).type, "chat_platform")
    except ElementError:
        return None
    return found if isinstance(found, ChatPlatform) else None


def simulator(name: str) -> Any:
    """The robot's Type's running simulator, or None when robots use the real platform."""
    return editor_host().simulator(editor_host().instance(name).type)


def _config(name: str) -> dict[str, Any]:
    """The robot's rendered config, once per request (the response guard learns its secret)."""
    cache = g.setdefault("playground_configs", {})
    if name not in cache:
        config = editor_host().app.config(name)
        chat = platform(name)
        if chat is not None:
            editor_host().learn_secrets([chat.credentials(config)[1]])
        cache[name] = config
    return cache[name]


def _credentials(name: str) -> tuple[str, str]:
    """The robot's rendered app id and secret (the secret never leaves the server)."""
    chat = platform(name)
    return chat.credentials(_config(name)) if chat else ("", "")


def _connected(name: str, status: Any) -> bool:
    """Whether the robot reports its link as connected (the Type's LINK status field)."""
    fields = hook_of(editor_host().app, status.type, "status_fields") or []
    return reported(fields, status.detail, FieldKind.LINK) == Link.CONNECTED


def readiness(name: str) -> Readiness:
    """Can the playground talk to this robot right now?"""
    host = editor_host()
    element = robot(name)
    if platform(name) is None:
        return Readiness("not_robot", element.type)
    sim = simulator(name)
    if sim is None:
        return Readiness("no_simulator")
    try:
        client_id, secret = _credentials(name)
    except ElementError as exc:
        return Readiness("config", redactor.redact(exc.message))
    known = sim.app(client_id)
    if known is None:
        return Readiness("unregistered", client_id=client_id)
    if known.client_secret != secret:
        return Readiness("other_secret", client_id=client_id)
    status = host.status(name)
    if status.state == InstanceState.RUNNING and _connected(name, status):
        return Readiness("ready", client_id=client_id)
    if status.state in (InstanceState.RUNNING, InstanceState.STARTING):
        return Readiness("connecting", client_id=client_id)
    if status.state == InstanceState.ERROR:
        return Readiness("error", redactor.redact(status.message), client_id)
    return Readiness("stopped", status.state.value, client_id)


def _chat(name: str, client_id: str) -> Chat:
    """This browser session's conversation with the robot (its own platform user)."""
    return Chat(robot=name, client_id=client_id, staff_id=f"playground-{_session_key()}")


def _session_key() -> str:
    """The browser session's own platform user, made when the page first loads: made by a later
    request, a request the page sent at the same time could carry the session back without it
    (cookies cross), and the questions asked under it would never be found again."""
    key = session.get("playground_key")
    if not key:
        key = session["playground_key"] = secrets.token_hex(6)
    return key


def _answer_timeout(name: str) -> float:
    try:
        return float(_config(name).get("answerTimeoutSeconds", 120))
    except (ElementError, TypeError, ValueError):
        return 120.0


def _composer_context(name: str, ready: Readiness) -> dict[str, Any]:
    return {"name": name, "ready": ready, "nick": session.get("playground_nick") or editor_host().gettext(DEFAULT_NICK),
            "group": session.get("playground_group", True), "robot_title": editor_host().instance(name).title}


@bp.get("")
def index(name: str) -> str:
    """The chat: this session's questions and answers, and the box to ask the next one."""
    host = editor_host()
    host.app.refresh()
    context = host.tab_context(name)
    ready = readiness(name)
    history = []
    sim = simulator(name)
    _session_key()
    if ready.client_id and sim is not None:
        history = turns(sim, host.app.storage, platform(name), _chat(name, ready.client_id), _answer_timeout(name))
    chat = platform(name)
    return render_template("im_playground/index.html", turns=history, look=chat.look if chat else "",
                           **{**context, **_composer_context(name, ready)})


@bp.get("/composer")
def composer(name: str) -> str:
    """The box to ask in, or the notice saying what stops it (polled while that may change)."""
    return render_template("im_playground/_composer.html", **_composer_context(name, readiness(name)))


def _composer_instead(name: str, ready: Readiness) -> Response:
    """Answer a send that cannot go out with the notice, in the composer's place."""
    response = make_response(composer(name))
    response.headers["HX-Retarget"] = "#pg-composer"
    response.headers["HX-Reswap"] = "outerHTML"
    return response


@bp.post("/messages")
def send(name: str) -> Response | str:
    """Send the question through the simulator; answers the new turn for the chat log."""
    ready = readiness(name)
    if not ready.ready:
        return _composer_instead(name, ready)
    text = request.form.get("text", "").strip()
    if not text:
        return Response("", 204)
    nick = " ".join(request.form.get("nick", "").split())[:MAX_NICK] or editor_host().gettext(DEFAULT_NICK)
    group = request.form.get("mode", "group") != "single"
    session["playground_nick"], session["playground_group"] = nick, group
    chat = _chat(name, ready.client_id)
    sim = simulator(name)
    msg_id = chat.send(sim, text[:MAX_QUESTION], group=group, nick=nick)
    found = turns(sim, editor_host().app.storage, platform(name), chat, _answer_timeout(name), msg_id=msg_id)
    return render_template("im_playground/_turn.html", turn=found[0], name=name, robot_title=editor_host().instance(name).title)


def _chat_of_request(name: str) -> tuple[Any, Chat]:
    robot(name)
    sim = simulator(name)
    if sim is None or platform(name) is None:
        abort(404)
    try:
        client_id, _ = _credentials(name)
    except ElementError:
        abort(404)
    return sim, _chat(name, client_id)


@bp.get("/turn")
def turn(name: str) -> str:
    """One question's answer as it stands (the page polls this until the answer ends)."""
    sim, chat = _chat_of_request(name)
    found = turns(sim, editor_host().app.storage, platform(name), chat, _answer_timeout(name), msg_id=request.args.get("msg", ""))
    if not found:
        abort(404)
    return render_template("im_playground/_reply.html", turn=found[0], name=name, robot_title=editor_host().instance(name).title)


@bp.post("/press")
def press(name: str) -> str:
    """Press a card button in the simulator: the robot gets the platform's card callback."""
    sim, chat = _chat_of_request(name)
    card_biz_id, button_id = request.form.get("card", ""), request.form.get("button", "")
    card = sim.card(card_biz_id)
    if card is None or not chat.owns_card(sim, card_biz_id):
        abort(404)
    try:
        sim.press_button(card_biz_id, button_id=button_id)
    except (KeyError, ValueError):  # a stale or link button: no callback; the card stays as it is
        pass
    found = turns(sim, editor_host().app.storage, platform(name), chat, _answer_timeout(name), msg_id=card.reply_to_msg_id)
    return render_template("im_playground/_reply.html", turn=found[0], name=name, robot_title=editor_host().instance(name).title)


@bp.post("/register")
def register(name: str) -> str:
    """Register the robot's own app id and secret with the simulator (server-side)."""
    sim = simulator(name)
    if sim is None or platform(name) is None:
        abort(404)
    try:
        client_id, secret = _credentials(name)
    except ElementError as exc:
        abort(422, description=redactor.redact(exc.message))
    sim.register_app(client_id, secret, robot_name=editor_host().instance(name).title)
    return composer(name)


page = EditorPage(bp, tab="Playground", tab_endpoint="playground.index", services_only=True)
