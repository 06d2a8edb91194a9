"""imRobots.dingTalkStreamType: a DingTalk robot (Stream mode) answering with an AI agent."""
from ..Meta.chat_platform import ChatPlatform
from . import card_view
from .check import check_connection
from .loader import Loader
from .offline import offline_simulator
from ..Meta.robot_status import status_fields

chat_platform = ChatPlatform(credentials=card_view.credentials, read_card=card_view.read_card, read_reply=card_view.read_reply)

__all__ = ["Loader", "chat_platform", "check_connection", "offline_simulator", "status_fields"]
