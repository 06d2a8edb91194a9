"""The service the supervisor starts and stops: one Feishu robot on the supervisor's loop.

`lark_oapi` costs seconds of CPU to import (it imports every API service), so the parts built
on it (wiring.py) are imported in a worker thread on the first start: the loop keeps serving
every other robot meanwhile, and the editor never pays for it.
"""
from __future__ import annotations

import asyncio
import importlib
import time
from typing import Any

from element_studio.contract import ServiceContext, instance_logger

from ..Meta.api_usage import ApiUsage
from .settings import RobotSettings


async def load_sdk_parts(module: str = "wiring") -> Any:
    """One of this Type's modules built on lark_oapi, imported off the event loop."""
    return await asyncio.to_thread(importlib.import_module, f"{__package__}.{module}")


class FeishuRobot:
    """A Feishu (Lark) robot on the long connection, answering with an agent of the same app."""

    def __init__(self, full_name: str, settings: RobotSettings, app: Any) -> None:
        self.full_name = full_name
        self.settings = settings
        self.app = app
        self.run: Any = None  # wiring.RobotRun while started
        self.log = instance_logger(full_name)

    async def start(self, context: ServiceContext) -> None:
        self.log = context.logger
        wiring = await load_sdk_parts()
        usage = await ApiUsage.of(context.storage, self.settings.app_id)
        self.run = wiring.RobotRun(self.full_name, self.settings, self.app, context, usage)
        self.run.start()

    async def stop(self) -> None:
        started = time.monotonic()
        if self.run is not None:
            await self.run.stop()
        self.log.info("stopped in %.0f ms", (time.monotonic() - started) * 1000)
