"""imRobots.dingTalkStreamType: a DingTalk robot (Stream mode) answering with an AI agent."""
from .check import check_connection
from .loader import Loader
from .offline import offline_simulator
from .status import status_fields

__all__ = ["Loader", "check_connection", "offline_simulator", "status_fields"]
