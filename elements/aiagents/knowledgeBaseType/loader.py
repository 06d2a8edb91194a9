"""Loader of aiagents.knowledgeBaseType: reads the knowledge files and builds their index."""
from __future__ import annotations

from ..chat_memory import ChatMemory
from .agent import KnowledgeBaseAgent
from .knowledge import KnowledgeBase
from .sources import read_sources


class Loader:
    """`Loader(nodes).load()` -> a KnowledgeBaseAgent; a missing or broken file is a load error naming it."""

    def __init__(self, nodes) -> None:
        self.nodes = nodes

    def load(self) -> KnowledgeBaseAgent:
        instance = self.nodes[0]
        config = instance.config
        knowledge = KnowledgeBase(instance.folder, config["sources"], instance.fullName, instance.logger)
        return KnowledgeBaseAgent(instance.fullName, ChatMemory.for_instance(instance), instance.logger, knowledge, config, instance.app)

    def check(self) -> None:
        """For `element-studio check`: every knowledge file exists and parses (no index is built)."""
        instance = self.nodes[0]
        read_sources(instance.folder, instance.config["sources"], instance.fullName)
