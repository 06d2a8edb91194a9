"""A local Feishu (Lark) on 127.0.0.1 for tests, the offline default and the editor's playground.

The long connection with the SDK's protobuf frames (endpoint discovery, ping/pong with the
ClientConfig, events split into parts when asked, responses, redelivery), tenant tokens, bot
info, im/v1 messages and CardKit card entities, users who send messages and press card buttons,
and a control API under `/_sim/`.

* `FeishuSimulator` runs on the caller's asyncio loop;
* `FeishuSimulatorThread` runs one in a background thread with blocking methods;
* `element-studio sim feishu` runs one in the foreground (cli.py).

Point a robot at it with `"domain": "<base_url>"` (or `lark.ws.Client(domain=base_url)`).
This package's own import is light; server.py and thread.py import lark_oapi (seconds of CPU).
"""
from .apps import DEMO_APP_ID, DEMO_APP_SECRET

__all__ = ["DEMO_APP_ID", "DEMO_APP_SECRET"]
