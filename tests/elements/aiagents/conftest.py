"""Fixtures for the agent tests: a local chat completions server and agent instances in a temp app."""
from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from tests.support.elements import SAMPLE_APP
from element_studio.runtime.logs import ring_buffer
from tests.support.elements import instance, write_element

from .chat_server import ChatServer

HELPDESK = SAMPLE_APP / "aiagents" / "helpdesk"
API_KEY = "sk-test-4f9a1c2b7d"


@pytest.fixture
def chat_server():
    """An OpenAI-compatible streaming server on 127.0.0.1 (echoes the question unless scripted)."""
    with ChatServer() as server:
        yield server


def copy_helpdesk(app_dir: Path) -> Path:
    """The shipped sample knowledge base, copied into the temp app as aiagents.helpdesk."""
    target = app_dir / "aiagents" / "helpdesk"
    shutil.copytree(HELPDESK, target, ignore=shutil.ignore_patterns("__pycache__"))
    return target


def write_llm_agent(app_dir: Path, server: ChatServer, name: str = "aiagents.gpt", **config: Any) -> str:
    """An openaiCompatibleType instance talking to the test server, its key in the app's .env."""
    (app_dir / ".env").write_text(f"TEST_LLM_KEY={API_KEY}\n")
    settings = {
        "baseUrl": server.url,
        "apiKey": "{{TEST_LLM_KEY}}",
        "model": "test-model",
        "systemPrompt": "You are the test assistant.",
        "timeoutSeconds": 5,
        **config,
    }
    write_element(app_dir, name, instance("aiagents.openaiCompatibleType", "Test LLM agent", at_start=False), settings)
    return name


def write_knowledge_base(app_dir: Path, files: dict[str, str], name: str = "aiagents.kb", **config: Any) -> str:
    """A knowledgeBaseType instance over `files` (written into its folder)."""
    settings = {"sources": list(files), **config}
    write_element(app_dir, name, instance("aiagents.knowledgeBaseType", "Test knowledge base", at_start=False), settings, files)
    return name


async def ask(agent: Any, question: str, chat_id: str = "chat-1") -> list[str]:
    """The chunks of one answer, as a robot receives them."""
    return [chunk async for chunk in agent.stream(question, chat_id)]


class LogWatch:
    """The log records an instance writes from now on (what the editor's log panel shows)."""

    def __init__(self, full_name: str) -> None:
        self.full_name = full_name
        earlier = ring_buffer().recent(full_name)
        self.after = earlier[-1].seq if earlier else 0

    def messages(self, level: str | None = None) -> list[str]:
        return [e.message for e in ring_buffer().recent(self.full_name, after=self.after) if level is None or e.level == level]
