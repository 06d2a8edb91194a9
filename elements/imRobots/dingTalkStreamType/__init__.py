"""imRobots.dingTalkStreamType: a DingTalk robot (Stream mode) answering with an AI agent."""
from .check import check_connection
from .loader import Loader

__all__ = ["Loader", "check_connection"]
