"""aiagents.Meta: the agent family; its shared interface is `aiagents.agent_api`, its table
(per-chat memory) is declared here for every agent Type."""
from element_studio.contract import InstanceHistory, Migrations

from .. import chat_memory

migrations = Migrations(chat_memory.metadata, history=(InstanceHistory("chat_memory", "agent", "remembered chat messages", one="remembered chat message"),))

__all__ = ["migrations"]
