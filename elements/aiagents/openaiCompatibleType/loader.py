"""Loader of aiagents.openaiCompatibleType."""
from __future__ import annotations

from element_studio.contract import ElementError

from ..chat_memory import ChatMemory

META = "aiagents.Meta"


class Loader:
    """`Loader(nodes).load()` -> an OpenAICompatibleAgent; a bad `knowledgeBase` is a load error."""

    def __init__(self, nodes) -> None:
        self.nodes = nodes

    def load(self):
        from .agent import OpenAICompatibleAgent  # the openai package takes ~0.5 s to import: only when used

        instance = self.nodes[0]
        check_knowledge_base(instance)
        return OpenAICompatibleAgent(instance.fullName, ChatMemory.for_instance(instance), instance.logger, instance.config, instance.app)


def check_knowledge_base(instance) -> None:
    """`knowledgeBase`, when set, must name another agent instance (it is loaded on first use)."""
    name = instance.config.get("knowledgeBase") or ""
    if not name:
        return
    where = "config.json field knowledgeBase"
    if name == instance.fullName:
        raise ElementError(instance.fullName, where, "an agent cannot be its own knowledge base")
    try:
        chain = instance.app.chain(name)
    except ElementError as exc:
        raise ElementError(instance.fullName, where, f"{name}: {exc.message}") from exc
    if len(chain) != 3 or chain[-1].full_name != META:
        raise ElementError(instance.fullName, where, f"{name} is not an agent instance (an instance of a {META} Type)")
