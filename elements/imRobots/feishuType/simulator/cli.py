"""`element-studio sim feishu`: run the Feishu simulator in the foreground, or ask a running one.

    element-studio sim feishu serve [--port 8712]
    element-studio sim feishu send [--url http://127.0.0.1:8712] [--group] "How do I add a robot?"

`send` posts the question as a Feishu user and prints the answer card as it streams.
"""
from __future__ import annotations

import argparse
import json
import threading
import time
import urllib.request
from typing import Any

from .apps import DEMO_APP_ID, DEMO_APP_SECRET

DEFAULT_PORT = 8712


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="element-studio sim feishu", description="The built-in Feishu (Lark) simulator.")
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="run the simulator until Ctrl-C")
    serve.add_argument("--port", type=int, default=DEFAULT_PORT)
    send = commands.add_parser("send", help="ask a running simulator's robot a question and print the answer")
    send.add_argument("text")
    send.add_argument("--url", default=f"http://127.0.0.1:{DEFAULT_PORT}")
    send.add_argument("--app-id", default="")
    send.add_argument("--group", action="store_true", help="ask in a group, @mentioning the robot (default: a single chat)")
    send.add_argument("--wait", type=float, default=60.0, help="seconds to wait for the final card")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return serve(args.port) if args.command == "serve" else send(args)


def serve(port: int) -> int:
    from .thread import FeishuSimulatorThread

    with FeishuSimulatorThread(port=port) as sim:
        print(f"Feishu simulator at {sim.base_url}: App ID {DEMO_APP_ID}, App Secret {DEMO_APP_SECRET}; "
              f'a robot uses "domain": "{sim.base_url}". Ctrl-C stops it.', flush=True)
        try:
            threading.Event().wait()
        except KeyboardInterrupt:
            pass
    return 0


def _call(url: str, body: dict[str, Any] | None = None) -> Any:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=5) as response:  # noqa: S310 - a 127.0.0.1 URL the user gave
        return json.load(response)


def send(args: argparse.Namespace) -> int:
    base = args.url.rstrip("/")
    try:
        msg_id = _call(f"{base}/_sim/send", {"text": args.text, "appId": args.app_id, "group": args.group})["msgId"]
    except OSError as exc:
        print(f"error: no Feishu simulator at {base} ({exc}); start one with `element-studio sim feishu serve`")
        return 1
    deadline, shown = time.monotonic() + args.wait, ""
    while time.monotonic() < deadline:
        answer = _call(f"{base}/_sim/answer?msgId={msg_id}")
        text = _answer_text(answer)
        if text != shown:
            print(text[len(shown):] if text.startswith(shown) else f"\n{text}", end="", flush=True)
            shown = text
        if answer["replies"] or any(not card["streaming"] and card["versions"] > 1 for card in answer["cards"]):
            print()
            return 0
        time.sleep(0.2)
    print("\n(no final answer yet)")
    return 2


def _answer_text(answer: dict[str, Any]) -> str:
    from ..cards import ANSWER, elements

    for card in answer["cards"]:
        return next((e.get("content", "") for e in elements(card["card"]) if e.get("element_id") == ANSWER), "")
    for reply in answer["replies"]:
        content = reply.get("content", {})
        if "text" in content:
            return content["text"]
        post = next((v for v in content.values() if isinstance(v, dict)), {})
        return "\n".join(run.get("text", "") for line in post.get("content", []) for run in line)
    return ""
