"""One start of a Feishu robot: its HTTP session, API, the family's answer pipeline and the long
connection, wired together; `stop()` takes them down again.

The family's RobotHandler and Answerer do the answering (dedupe by message id, busy and
text-only replies, the message log, the answer journal and its recovery after a crash); the
family's API usage counts the app's OpenAPI calls this month.
"""
from __future__ import annotations

import asyncio
from typing import Any

from element_studio.contract import ServiceContext

from ..Meta.answering import Answerer
from ..Meta.api_usage import ApiUsage, RobotCalls
from ..Meta.robot_handler import RobotHandler
from ..Meta.robot_status import RobotStatus
from .callbacks import Callbacks
from .connection import LongConnection
from .http import make_session
from .openapi import FeishuApi
from .replies import FeishuReplies
from .settings import RobotSettings, base_url

STOP_SOCKET_WAIT = 1.0
STOP_ANSWERS_GRACE = 1.0


class RobotRun:
    """The parts of a running robot."""

    def __init__(self, full_name: str, settings: RobotSettings, app: Any, context: ServiceContext, usage: ApiUsage) -> None:
        self.full_name = full_name
        self.settings = settings
        self.log = context.logger
        self.status = RobotStatus(context.update)
        self.calls = RobotCalls(usage, self.status, lambda: answerer.current_form())
        self.session = make_session(settings.proxy, settings.http_timeout)
        self.api = FeishuApi(self.session, settings.app_id, settings.app_secret, base_url(settings.domain, context.offline_endpoint),
                             settings.http_timeout, on_call=self.calls.count)
        replies = FeishuReplies(self.api)
        answers = settings.answers
        answerer = Answerer(full_name, answers, replies, context.storage, app, self.log, self.status.error, usage=usage,
                            replicas=context.cluster)
        self.handler = RobotHandler(full_name, answers, replies, context.storage, answerer, self.status, self.log)
        self.calls.show()
        self.callbacks = Callbacks(full_name, self.handler, self.log, answers.dedup_seconds)
        self.connection = LongConnection(self.api, settings, self.callbacks.on_event, self.status, self.log, holder=full_name,
                                         on_connected=self._learn_bot)
        self._task: asyncio.Task[None] | None = None
        self._learning: asyncio.Task[None] | None = None

    def start(self) -> None:
        self.log.info("starting: App ID %s at %s, agent %s, %s replies", self.settings.app_id, self.api.base, self.settings.answers.agent,
                      self.settings.answers.reply_mode)
        self.handler.recover()
        self._task = asyncio.create_task(self.connection.run(), name=f"{self.full_name}: connection")

    def _learn_bot(self) -> None:
        """Once connected: the tenant token (so a first answer need not wait) and the bot's open_id."""
        if self.callbacks.bot_open_id or (self._learning is not None and not self._learning.done()):
            return

        async def learn() -> None:
            try:
                self.callbacks.bot_open_id = await self.api.bot_open_id()
            except Exception as exc:  # answers fetch the token again; groups then take any bot @mention
                self.log.warning("bot info not available yet: %s", exc)

        self._learning = asyncio.create_task(learn(), name=f"{self.full_name}: bot info")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.wait({self._task}, timeout=STOP_SOCKET_WAIT)
            if not self._task.done():
                await self.connection.close()
        if self._learning is not None:
            self._learning.cancel()
        await self.handler.stop(STOP_ANSWERS_GRACE)
        await self.calls.release()
        await self.session.close()
