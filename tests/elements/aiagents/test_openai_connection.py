"""Test connection of the OpenAI-compatible agent, through the editor, against a local
OpenAI-compatible server: reach the server, key accepted, model offered."""
from __future__ import annotations

import html

import pytest

from element_studio.editor import create_app
from tests.editor.conftest import Session

from .chat_server import ChatServer
from .conftest import API_KEY, write_llm_agent


@pytest.fixture
def session(supervisor) -> Session:
    return Session(create_app(supervisor, TESTING=True, SECRET_GUARD="raise").test_client())


def connection_answer(session, supervisor, name: str = "aiagents.gpt") -> str:
    """What the instance's Test connection button shows for its saved settings."""
    supervisor.app.refresh()
    response = session.post(f"/instances/{name}/connection-test/saved")
    assert response.status_code == 200
    return html.unescape(response.get_data(as_text=True))


def test_a_reachable_server_that_accepts_the_key_and_offers_the_model_is_ok(session, supervisor, app_dir):
    with ChatServer(models=["test-model", "other-model"], api_key=API_KEY) as server:
        write_llm_agent(app_dir, server)
        answer = connection_answer(session, supervisor)
    assert "ok: connected" in answer and "accepted the key and offers model test-model" in answer
    assert API_KEY not in answer


def test_a_refused_key_an_unknown_model_and_an_unreachable_server_are_told_apart(session, supervisor, app_dir):
    with ChatServer(models=["llama3.1", "qwen2.5:7b"], api_key="sk-some-other-key-0000") as server:
        write_llm_agent(app_dir, server)
        refused = connection_answer(session, supervisor)
        assert "credentials refused" in refused and "HTTP 401" in refused and "check apiKey" in refused
        server.api_key = API_KEY
        missing = connection_answer(session, supervisor)
        assert "not found" in missing and "offers no model 'test-model'; it offers: llama3.1, qwen2.5:7b" in missing
        url = server.url
    gone = connection_answer(session, supervisor)
    assert f"cannot reach 127.0.0.1:{url.split(':')[2].split('/')[0]}" in gone and "cannot connect to" in gone
    assert API_KEY not in refused + missing + gone


def test_a_server_without_a_model_list_is_asked_for_one_token(session, supervisor, app_dir):
    with ChatServer(models=None, api_key=API_KEY) as server:
        write_llm_agent(app_dir, server)
        assert "ok: connected" in connection_answer(session, supervisor)
        assert server.requests[-1]["max_tokens"] == 1 and server.requests[-1]["model"] == "test-model"
        server.fail(404)
        assert "not found" in connection_answer(session, supervisor)


def test_an_unset_key_variable_is_named_before_anything_is_sent(session, supervisor, app_dir):
    with ChatServer(models=["test-model"]) as server:
        write_llm_agent(app_dir, server, apiKey="{{UNSET_LLM_KEY_FOR_TEST}}")
        answer = connection_answer(session, supervisor)
        assert "not tested" in answer and "UNSET_LLM_KEY_FOR_TEST" in answer
        assert server.requests == []
