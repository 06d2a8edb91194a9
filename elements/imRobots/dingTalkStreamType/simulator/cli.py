"""``element-studio sim``: run the simulator in the foreground, or talk to a running one.

    element-studio sim [--port 8711] [--client-id dingdemo --client-secret demo-secret]
        runs a simulator until Ctrl+C and prints its base URL, the demo credentials and the
        environment lines a robot needs;
    element-studio sim send --url http://127.0.0.1:8711 --client-id dingdemo "question"
        sends a message through a running simulator's control API and prints what the robot
        answers: webhook replies and every card version, until the final card (one with
        buttons), a quiet period, or the time limit.

``main(argv)`` returns the exit status: 0 answered, 1 no answer in time, 2 usage or
connection error. ``python -m simulator`` runs the same.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import signal
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from typing import Any

from ..offline import DEFAULT_PORT
from .app_registry import DEMO_CLIENT_ID, DEMO_CLIENT_SECRET
from .frames import MSGTYPES, button_label, card_buttons
from .server import DingTalkSimulator


def build_parser() -> argparse.ArgumentParser:
    """The ``sim`` argument parser (kept separate so the main CLI can embed it)."""
    parser = argparse.ArgumentParser(
        prog="element-studio sim",
        description="Run the local DingTalk simulator (127.0.0.1 only), or send it a message.")
    parser.add_argument("--port", type=int, default=DEFAULT_PORT,
                        help=f"TCP port on 127.0.0.1 (default {DEFAULT_PORT}; 0 = any free port)")
    parser.add_argument("--client-id", default=DEMO_CLIENT_ID,
                        help="clientId of the app to register (default %(default)s)")
    parser.add_argument("--client-secret", default=DEMO_CLIENT_SECRET,
                        help="its clientSecret (default %(default)s)")
    parser.add_argument("--redeliver-after", type=float, default=60.0,
                        help="seconds before an un-ACKed message is pushed again (default 60)")
    parser.add_argument("--token-expire-in", type=int, default=7200,
                        help="access token lifetime in seconds (default 7200)")
    commands = parser.add_subparsers(dest="command", metavar="{send}")
    send = commands.add_parser("send", help="send a message through a running simulator",
                               description="Send a user message to a robot through a running "
                                           "simulator and print its replies and cards.")
    send.add_argument("text", help="the message text")
    send.add_argument("--url", default=f"http://127.0.0.1:{DEFAULT_PORT}",
                      help="the simulator's base URL (default %(default)s)")
    send.add_argument("--client-id", dest="send_client_id", default=DEMO_CLIENT_ID,
                      help="the robot's clientId (default %(default)s)")
    send.add_argument("--group", action="store_true",
                      help="send in a group chat (@mentioning the robot) instead of one-to-one")
    send.add_argument("--msgtype", default="text", choices=MSGTYPES,
                      help="the message type: audio sends the text as its transcript, picture a sample PNG")
    send.add_argument("--sender-nick", default="Demo User", help="the sender's display name")
    send.add_argument("--sender-staff-id", default="demo-user", help="the sender's staff id")
    send.add_argument("--wait", type=float, default=30.0,
                      help="give up after this many seconds (default 30)")
    send.add_argument("--quiet", type=float, default=3.0,
                      help="stop this many seconds after the last change once something "
                           "arrived, when no final card came (default 3)")
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of ``element-studio sim``; returns the exit status."""
    args = build_parser().parse_args(argv)
    if args.command == "send":
        return send_command(args)
    return serve_command(args)


# -- foreground simulator -----------------------------------------------------------------

def serve_command(args: argparse.Namespace) -> int:
    """Run a simulator until interrupted."""
    try:
        asyncio.run(_serve(args))
    except OSError as exc:
        print(f"error: cannot listen on 127.0.0.1:{args.port}: {exc}", file=sys.stderr)
        return 2
    return 0


async def _serve(args: argparse.Namespace) -> None:
    """Start, print how to use it, wait for Ctrl+C or SIGTERM, stop."""
    sim = DingTalkSimulator({args.client_id: args.client_secret}, port=args.port,
                            redeliver_after=args.redeliver_after,
                            token_expire_in=args.token_expire_in)
    await sim.start()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        try:
            loop.add_signal_handler(sig, stop.set)
        except (NotImplementedError, RuntimeError):  # not the main thread, or Windows
            pass
    print(startup_text(sim.base_url, args.client_id, args.client_secret), flush=True)
    try:
        await stop.wait()
    finally:
        await sim.stop()
        print("simulator stopped", flush=True)


def startup_text(base_url: str, client_id: str, client_secret: str) -> str:
    """What the foreground simulator prints: URL, credentials, env lines, next step."""
    return "\n".join([
        f"DingTalk simulator listening on {base_url}",
        f"  clientId:     {client_id}",
        f"  clientSecret: {client_secret}",
        "Set these in the robot's environment (before the DingTalk SDK is imported):",
        f"  export DINGTALK_OPENAPI_ENDPOINT={base_url}",
        "  export NO_PROXY=127.0.0.1,localhost",
        f"Control API: {base_url}/_sim/",
        f'Try: element-studio sim send --url {base_url} --client-id {client_id} "hello"',
        "Press Ctrl+C to stop.",
    ])


# -- send ---------------------------------------------------------------------------------

class ControlClient:
    """A tiny blocking client of the control API (no proxies: it is always local)."""

    def __init__(self, base_url: str, timeout: float = 5.0) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self._opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))

    def get(self, path: str, **query: str) -> Any:
        """GET a control route, JSON answer."""
        url = f"{self.base_url}/_sim{path}"
        if query:
            url += "?" + urllib.parse.urlencode(query)
        return self._open(urllib.request.Request(url))

    def post(self, path: str, body: dict[str, Any]) -> Any:
        """POST JSON to a control route, JSON answer."""
        request = urllib.request.Request(
            f"{self.base_url}/_sim{path}", data=json.dumps(body).encode("utf-8"),
            headers={"Content-Type": "application/json"}, method="POST")
        return self._open(request)

    def _open(self, request: urllib.request.Request) -> Any:
        """Send; an HTTP error becomes a RuntimeError carrying the simulator's message."""
        try:
            with self._opener.open(request, timeout=self.timeout) as response:
                return json.loads(response.read().decode("utf-8"))
        except urllib.error.HTTPError as exc:
            detail = exc.read().decode("utf-8", "replace")
            try:
                detail = json.loads(detail).get("error", detail)
            except (ValueError, AttributeError):
                pass
            raise RuntimeError(f"{exc.code}: {detail}") from exc


AI_CARD_STATES = {"1": "processing", "2": "inputting", "3": "finished", "5": "failed"}


def render_card(card_data: dict[str, Any]) -> str:
    """A card as plain text: a StandardCard's title and markdown/text blocks, or an AI card's
    state and text fields; then its [button labels]."""
    lines = []
    params = card_data.get("cardParamMap")
    if isinstance(params, dict):
        lines.append(f"({AI_CARD_STATES.get(params.get('flowStatus'), 'AI card')})")
        lines += [str(v) for k, v in params.items() if k not in ("flowStatus", "sys_full_json_obj") and isinstance(v, str) and v]
    title = (card_data.get("header") or {}).get("title")
    if isinstance(title, dict) and title.get("text"):
        lines.append(f"# {title['text']}")
    for item in card_data.get("contents") or []:
        if isinstance(item, dict) and item.get("type") in ("markdown", "text") and item.get("text"):
            lines.append(str(item["text"]))
    labels = [button_label(b) for b in card_buttons(card_data)]
    if labels:
        lines.append("  ".join(f"[{label}]" for label in labels))
    return "\n".join(lines)


def is_final_card(card_data: dict[str, Any]) -> bool:
    """Our robot's final card carries buttons (the feedback row); an AI card ends finished or failed."""
    params = card_data.get("cardParamMap")
    if isinstance(params, dict):
        return params.get("flowStatus") in ("3", "5")
    return bool(card_buttons(card_data))


def send_command(args: argparse.Namespace) -> int:
    """Send a message and print the robot's replies and card versions as they come."""
    client = ControlClient(args.url)
    try:
        apps = {a["clientId"]: a for a in client.get("/apps")}
        if args.send_client_id in apps and not apps[args.send_client_id]["liveConnections"]:
            print(f"warning: no robot is connected as {args.send_client_id}; the message waits "
                  "until one connects", file=sys.stderr)
        sent = client.post("/messages", {
            "clientId": args.send_client_id, "text": args.text,
            "conversationType": "2" if args.group else "1", "msgtype": args.msgtype,
            "senderNick": args.sender_nick, "senderStaffId": args.sender_staff_id})
    except (OSError, RuntimeError) as exc:
        print(f"error: cannot reach the simulator at {args.url}: {exc}", file=sys.stderr)
        return 2
    msg_id = sent["msgId"]
    print(f"sent {msg_id} to {args.send_client_id}", flush=True)
    try:
        return _watch(client, msg_id, args.wait, args.quiet)
    except (OSError, RuntimeError) as exc:
        print(f"error: lost the simulator at {args.url}: {exc}", file=sys.stderr)
        return 2


def _watch(client: ControlClient, msg_id: str, wait: float, quiet: float) -> int:
    """Poll replies and cards of one message until a final card, quiet, or timeout."""
    deadline = time.monotonic() + wait
    seen_replies = 0
    seen_versions: dict[str, int] = {}
    last_change: float | None = None
    while time.monotonic() < deadline:
        replies = client.get("/replies", msgId=msg_id)
        for reply in replies[seen_replies:]:
            status = "" if reply["errcode"] == 0 else f" (refused: errcode {reply['errcode']})"
            print(f"reply [{reply['msgtype'] or '?'}]{status}:\n{reply['text']}", flush=True)
            last_change = time.monotonic()
        seen_replies = len(replies)
        final = False
        for card in client.get("/cards", msgId=msg_id):
            versions = card["versions"]
            for number in range(seen_versions.get(card["cardBizId"], 0), len(versions)):
                data = versions[number]["cardData"]
                print(f"card {card['cardBizId'][:12]} v{number + 1}:\n{render_card(data)}",
                      flush=True)
                last_change = time.monotonic()
            seen_versions[card["cardBizId"]] = len(versions)
            final = final or is_final_card(versions[-1]["cardData"])
        if final:
            return 0
        if last_change is not None and time.monotonic() - last_change >= quiet:
            return 0
        time.sleep(0.2)
    if last_change is not None:
        return 0
    print(f"no answer within {wait:g} s", file=sys.stderr)
    return 1


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
