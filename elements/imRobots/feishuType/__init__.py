"""imRobots.feishuType: a Feishu (Lark) robot on the long connection answering with an AI agent.

Nothing here imports `lark_oapi` (seconds of CPU): the robot and the connection test import
their SDK-backed parts off the event loop, the simulator when it starts.
"""
from element_studio.contract import ClusterMode

from ..Meta.chat_platform import ChatPlatform
from ..Meta.robot_status import status_fields
from . import card_view
from .check import check_connection
from .loader import Loader
from .offline import offline_simulator

# Feishu takes up to 50 long connections per app and pushes each event to one of them: every replica connects
# (one connection per App ID in each process); the shared message log answers a message once.
cluster_mode = ClusterMode.EVERY_REPLICA
chat_platform = ChatPlatform(credentials=card_view.credentials, read_card=card_view.read_card, read_reply=card_view.read_reply,
                             look="feishu")

__all__ = ["Loader", "chat_platform", "check_connection", "cluster_mode", "offline_simulator", "status_fields"]
