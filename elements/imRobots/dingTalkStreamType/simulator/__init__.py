"""A local DingTalk on 127.0.0.1 for tests, the offline default and the editor's playground.

It implements what the dingtalk-stream SDK and our robot call: the stream gateway (open
connection, WebSocket frames, ACKs, redelivery), access tokens, interactive cards, session
webhooks and card button callbacks, plus a control API under ``/_sim/``.

* :class:`DingTalkSimulator` runs on the caller's asyncio loop;
* :class:`SimulatorThread` runs one in a background thread with blocking methods;
* ``python -m simulator`` / ``element-studio sim`` run one in the foreground (see cli.py).

Point a client at it with ``DINGTALK_OPENAPI_ENDPOINT=<base_url>``.
"""

from .app_registry import DEMO_CLIENT_ID, DEMO_CLIENT_SECRET
from .server import DingTalkSimulator
from .thread import SimulatorThread

__all__ = ["DEMO_CLIENT_ID", "DEMO_CLIENT_SECRET", "DingTalkSimulator", "SimulatorThread"]
