"""The aiagents family as a whole: Type contracts, and an app's own agent Type on the shared base."""
from __future__ import annotations

import pytest

from element_studio.elements.aiagents.agent_api import Agent, AgentError
from element_studio.runtime.app import App
from element_studio.runtime.schema import default_for
from tests.support.elements import copy_sample_app, instance, write_element

from .conftest import ask

AGENT_TYPES = ["aiagents.knowledgeBaseType", "aiagents.openaiCompatibleType"]


@pytest.mark.parametrize("type_name", AGENT_TYPES)
def test_every_config_field_has_a_title_and_a_description_for_the_editor(app, type_name):
    schema = app.type_schema(type_name)
    assert schema["properties"]
    for name, prop in schema["properties"].items():
        assert prop.get("title") and prop.get("description"), name
    assert not app.is_service(type_name) and app.kind(type_name) == "type"


def test_the_api_key_is_a_secret_and_the_knowledge_base_refers_to_knowledge_base_agents(app):
    schema = app.type_schema("aiagents.openaiCompatibleType")
    assert schema["properties"]["apiKey"]["writeOnly"] is True
    assert schema["properties"]["knowledgeBase"]["x-element-ref"] == "aiagents.knowledgeBaseType"
    assert default_for(schema)["knowledgeBase"] == ""


def test_the_sample_helpdesk_is_an_agent_of_the_family_and_checks_clean(app_dir):
    copy_sample_app(app_dir)
    app = App(app_dir)
    assert "aiagents.helpdesk" in [e.full_name for e in app.instances_of_family("aiagents.Meta")]
    assert [str(p) for p in app.check() if p.full_name.startswith("aiagents.")] == []


SHOUTING_TYPE = '''
from element_studio.elements.aiagents.agent_api import Agent
from element_studio.elements.aiagents.chat_memory import ChatMemory


class ShoutingAgent(Agent):
    async def answer(self, question, history):
        if question == "crash":
            raise RuntimeError("a bug in the shouting agent")
        yield f"{len(history) // 2} earlier. "
        yield question.upper()


class Loader:
    def __init__(self, nodes):
        self.nodes = nodes

    def load(self):
        node = self.nodes[0]
        return ShoutingAgent(node.fullName, ChatMemory.for_instance(node), node.logger)
'''


async def test_an_apps_own_agent_type_gets_memory_and_error_handling_from_the_shared_base(app_dir):
    write_element(app_dir, "myAgents.Meta", {"title": "My agents", "type": ""})
    write_element(app_dir, "myAgents.shoutingType", {"title": "Shouting", "type": "aiagents.Meta", "backendBundleEntry": "."},
                  files={"__init__.py": SHOUTING_TYPE, "config.schema.json": '{"type": "object", "properties": {'
                         '"maxHistoryTurns": {"type": "integer", "title": "T", "description": "D", "default": 5},'
                         '"memoryIdleMinutes": {"type": "number", "title": "T", "description": "D", "default": 30}}}'})
    write_element(app_dir, "myAgents.loud", instance("myAgents.shoutingType", at_start=False), {})
    agent = App(app_dir).getElement("myAgents.loud")
    assert isinstance(agent, Agent)
    assert await ask(agent, "hello") == ["0 earlier. ", "HELLO"]
    assert await ask(agent, "again") == ["1 earlier. ", "AGAIN"]
    with pytest.raises(AgentError, match="unexpected RuntimeError: a bug in the shouting agent") as caught:
        await ask(agent, "crash")
    assert caught.value.user_message == AgentError.user_message
