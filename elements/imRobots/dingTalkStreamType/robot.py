"""The service the supervisor starts and stops: one DingTalk robot on the supervisor's loop.

start() wires the parts, begins finishing what the answer journal says a crash left in flight,
and returns at once (connecting happens in a task); stop() cancels the connection loop (the
socket closes within a second), ends the answers in flight, saves the app's API call count and
closes the HTTP session.
"""
from __future__ import annotations

import asyncio
import random
import time
from typing import Any

from element_studio.contract import ServiceContext, instance_logger

from ..Meta.answering import Answerer
from ..Meta.api_usage import ApiUsage, RobotCalls
from ..Meta.robot_handler import RobotHandler
from ..Meta.robot_status import RobotStatus
from .callbacks import ROBOT_TOPICS, Callbacks
from .connection import StreamConnection
from .http import make_session
from .openapi import DingTalkApi
from .pictures import DingTalkPictures
from .replies import DingTalkReplies
from .settings import RobotSettings

STOP_SOCKET_WAIT = 1.0
STOP_ANSWERS_GRACE = 1.0
TOKEN_WARM_AFTER = 2.0  # seconds after connecting (spread over as long again) the access token is fetched


class DingTalkRobot:
    """A DingTalk Stream robot answering with an agent of the same app."""

    def __init__(self, full_name: str, settings: RobotSettings, app: Any) -> None:
        self.full_name = full_name
        self.settings = settings
        self.app = app
        self.status: RobotStatus | None = None
        self.connection: StreamConnection | None = None
        self.handler: RobotHandler | None = None
        self._task: asyncio.Task[None] | None = None
        self._warming: asyncio.Task[None] | None = None
        self._session = None
        self.calls: RobotCalls | None = None
        self.log = instance_logger(full_name)

    async def start(self, context: ServiceContext) -> None:
        settings = self.settings
        self.log = context.logger
        self.status = RobotStatus(context.update)
        usage = await ApiUsage.of(context.storage, settings.client_id)
        self.calls = calls = RobotCalls(usage, self.status, lambda: self.answerer.current_form())
        self._session = make_session(settings.proxy, settings.http_timeout)
        api = DingTalkApi(self._session, settings.client_id, settings.client_secret, settings.http_timeout, context.offline_endpoint,
                          on_call=calls.count, calls_per_second=settings.api_calls_per_second)
        replies = DingTalkReplies(api, settings.ai_card)
        pictures = DingTalkPictures(api, self._session, settings.http_timeout)
        self.answerer = Answerer(self.full_name, settings.answers, replies, context.storage, self.app, self.log, self.status.error, pictures,
                                 usage, replicas=context.cluster)
        self.handler = RobotHandler(self.full_name, settings.answers, replies, context.storage, self.answerer, self.status, self.log)
        calls.show()
        callbacks = Callbacks(self.full_name, self.handler, self.log)
        self.api = api
        self.connection = StreamConnection(
            api, settings, ROBOT_TOPICS, callbacks.before_ack, self.status, self.log, holder=self.full_name, on_connected=self._warm_token,
        )
        self.log.info(
            "starting: clientId %s, agent %s, %s replies%s",
            settings.client_id,
            settings.answers.agent,
            settings.answers.reply_mode,
            f", proxy {settings.proxy.split('@')[-1]}" if settings.proxy else "",
        )
        self.handler.recover()
        self._task = asyncio.create_task(self.connection.run(), name=f"{self.full_name}: connection")

    def _warm_token(self) -> None:
        """Fetch the access token soon after the stream is up, so a first answer need not wait.

        Not at once: a thousand robots starting together would each fetch theirs while the
        others are still connecting. A question that comes first fetches it (one fetch, shared)."""
        if self.api.token.fresh or (self._warming is not None and not self._warming.done()):
            return

        async def warm() -> None:
            await asyncio.sleep(TOKEN_WARM_AFTER * (1 + random.random()))
            try:
                await self.api.token.get()
            except Exception as exc:  # the first answer tries again and reports it
                self.log.warning("no access token yet: %s", exc)

        self._warming = asyncio.create_task(warm(), name=f"{self.full_name}: access token")

    async def stop(self) -> None:
        started = time.monotonic()
        if self._task is not None:
            self._task.cancel()
            await asyncio.wait({self._task}, timeout=STOP_SOCKET_WAIT)
            if not self._task.done() and self.connection is not None:
                await self.connection.close()
        if self._warming is not None:
            self._warming.cancel()
        if self.handler is not None:
            await self.handler.stop(STOP_ANSWERS_GRACE)
        if self.calls is not None:
            await self.calls.release()
        if self._session is not None:
            await self._session.close()
        self.log.info("stopped in %.0f ms", (time.monotonic() - started) * 1000)
