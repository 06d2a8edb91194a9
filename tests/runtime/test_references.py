"""Schema-declared references (`x-element-ref`): check, the runtime and a running service agree
on what a reference must name, and say which field is wrong."""
from __future__ import annotations

import json

from element_studio.runtime.app import App
from element_studio.runtime.instances import rename_instance
from tests.support.elements import instance, write_element

ROBOT = "imRobots.dingTalkStreamType"


def robot(app_dir, agent: str, name: str = "imRobots.bot") -> str:
    write_element(app_dir, name, instance(ROBOT, "Bot"), {"agent": agent, "clientId": "dingdemo", "clientSecret": "demo-secret"})
    return name


def test_check_names_every_wrong_reference_and_the_field(app_dir):
    write_element(app_dir, "aiagents.helpdesk", instance("aiagents.knowledgeBaseType", at_start=False), {"sources": []})
    robot(app_dir, "aiagents.gone", "imRobots.lost")
    robot(app_dir, "imRobots.other", "imRobots.wrongFamily")
    robot(app_dir, "aiagents.knowledgeBaseType", "imRobots.aType")
    robot(app_dir, "aiagents.helpdesk", "imRobots.fine")
    robot(app_dir, "imRobots.other", "imRobots.other")  # itself
    problems = {p.full_name: f"{p.where}: {p.message}" for p in App(app_dir).check()}
    assert problems["imRobots.lost"] == "config.json field agent: aiagents.gone is no element of this app; pick an instance of aiagents.Meta"
    assert problems["imRobots.wrongFamily"] == ("config.json field agent: imRobots.other is an instance of imRobots.dingTalkStreamType,"
                                                " not of aiagents.Meta; pick an instance of aiagents.Meta")
    assert problems["imRobots.aType"].startswith("config.json field agent: aiagents.knowledgeBaseType is a Type, not an instance")
    assert problems["imRobots.other"].startswith("config.json field agent: names this instance itself")
    assert "imRobots.fine" not in problems


def test_a_schema_whose_reference_names_no_family_or_type_is_a_check_error(app_dir):
    schema = {"type": "object", "properties": {"knowledgeBase": {"type": "string", "x-element-ref": "aiagents.nothingType"}}}
    write_element(app_dir, "aiagents.askType", {"title": "Ask", "type": "aiagents.Meta", "backendBundleEntry": "."},
                  files={"config.schema.json": json.dumps(schema), "__init__.py": "class Loader:\n    def __init__(self, nodes): pass\n"})
    problems = [str(p) for p in App(app_dir).check() if p.full_name == "aiagents.askType"]
    assert problems == ["aiagents.askType: config.schema.json: x-element-ref at properties/knowledgeBase names 'aiagents.nothingType',"
                        " which is nothing in this app: name a family's Meta or a Type"]


def test_a_robot_whose_agent_is_missing_does_not_start_and_says_why(world):
    bot = robot(world.app_dir, "aiagents.gone")
    status = world.supervisor.start(bot)
    assert status.state == "error"
    assert status.message == "imRobots.bot: config.json field agent: aiagents.gone is no element of this app; pick an instance of aiagents.Meta"


def test_a_running_robot_whose_agent_is_renamed_away_is_in_error_not_connected(world):
    agent = world.agent("helpdesk", chunks=["hi"])
    bot = world.robot(agent)
    world.start(bot)
    assert world.status(bot).state == "running"
    rename_instance(world.supervisor.app, agent, "desk")
    status = world.status(bot)
    assert status.state == "error" and "config.json field agent: aiagents.helpdesk is no element of this app" in status.message
    rename_instance(world.supervisor.app, "aiagents.desk", "helpdesk")
    assert world.status(bot).state == "running"
