"""Loader of aiagents.openaiCompatibleType."""
from __future__ import annotations

from ..chat_memory import ChatMemory


class Loader:
    """`Loader(nodes).load()` -> an OpenAICompatibleAgent. `knowledgeBase` is a schema-declared
    reference to a knowledge-base instance: the runtime has checked it before `load()` runs."""

    def __init__(self, nodes) -> None:
        self.nodes = nodes

    def load(self):
        from .agent import OpenAICompatibleAgent  # the openai package takes ~0.5 s to import: only when used

        instance = self.nodes[0]
        return OpenAICompatibleAgent(instance.fullName, ChatMemory.for_instance(instance), instance.logger, instance.config, instance.app)
