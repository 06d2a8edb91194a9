"""imRobots.dingTalkStreamType: a DingTalk robot (Stream mode) answering with an AI agent."""
from element_studio.contract import ClusterMode

from ..Meta.chat_platform import ChatPlatform
from . import card_view
from .check import check_connection
from .loader import Loader
from .offline import offline_simulator
from ..Meta.robot_status import status_fields

cluster_mode = ClusterMode.EVERY_REPLICA  # DingTalk lets several Stream connections share one app and hands each event to one
chat_platform = ChatPlatform(credentials=card_view.credentials, read_card=card_view.read_card, read_reply=card_view.read_reply)

__all__ = ["Loader", "chat_platform", "check_connection", "cluster_mode", "offline_simulator", "status_fields"]
