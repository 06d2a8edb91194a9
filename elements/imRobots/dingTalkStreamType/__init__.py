"""imRobots.dingTalkStreamType: a DingTalk robot (Stream mode) answering with an AI agent."""
from .loader import Loader

__all__ = ["Loader"]
