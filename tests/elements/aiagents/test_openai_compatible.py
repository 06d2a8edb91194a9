"""aiagents.openaiCompatibleType against a real local server speaking streaming chat completions."""
from __future__ import annotations

import asyncio
import base64
import json
import socket

import pytest

from element_studio.elements.aiagents.agent_api import (
    AgentError,
    AgentTimeoutError,
    CredentialsRefusedError,
    ImagesNotAcceptedError,
    MalformedStreamError,
    RateLimitedError,
    RequestRejectedError,
    ServerError,
    ServerUnreachableError,
)
from element_studio.elements.imRobots.Meta.pictures import Picture
from element_studio.runtime.app import App
from element_studio.runtime.errors import ElementError
from element_studio.runtime.logs import ring_buffer

from .chat_server import Reply
from .conftest import API_KEY, LogWatch, ask, copy_helpdesk, write_llm_agent


async def test_the_answer_arrives_chunk_by_chunk_in_order_while_the_server_is_still_sending(app_dir, chat_server):
    chat_server.stream("Stream ", "mode ", "keeps ", "a ", "socket ", "open.", hold_after=2)
    name = write_llm_agent(app_dir, chat_server)
    agent = App(app_dir).getElement(name)
    stream = agent.stream("What is Stream mode?", "chat-1")
    first = [await anext(stream), await anext(stream)]
    assert first == ["Stream ", "mode "]  # received while the server holds back the rest
    chat_server.release()
    rest = [chunk async for chunk in stream]
    assert rest == ["keeps ", "a ", "socket ", "open."]

    request = chat_server.requests[0]
    assert request["model"] == "test-model" and request["stream"] is True and request["temperature"] == 0.3
    assert request["messages"] == [
        {"role": "system", "content": "You are the test assistant."},
        {"role": "user", "content": "What is Stream mode?"},
    ]
    assert chat_server.headers[0]["Authorization"] == f"Bearer {API_KEY}"  # from {{TEST_LLM_KEY}} in .env


async def test_the_second_question_of_a_chat_carries_the_first_exchange(app_dir, chat_server):
    name = write_llm_agent(app_dir, chat_server)
    agent = App(app_dir).getElement(name)
    assert "".join(await ask(agent, "Who are you?", "chat-7")) == "You asked: Who are you?"
    await ask(agent, "And what can you do?", "chat-7")
    assert chat_server.messages(1)[1:] == [
        {"role": "user", "content": "Who are you?"},
        {"role": "assistant", "content": "You asked: Who are you?"},
        {"role": "user", "content": "And what can you do?"},
    ]
    await ask(agent, "Hello from another chat", "chat-8")
    assert chat_server.messages(2)[1:] == [{"role": "user", "content": "Hello from another chat"}]


async def test_knowledge_base_passages_go_into_the_prompt(app_dir, chat_server):
    copy_helpdesk(app_dir)
    name = write_llm_agent(app_dir, chat_server, knowledgeBase="aiagents.helpdesk")
    agent = App(app_dir).getElement(name)
    await ask(agent, "怎么新建一个钉钉机器人？")
    system = chat_server.messages()[0]
    assert system["role"] == "system" and system["content"].startswith("You are the test assistant.\n\nPassages from the knowledge base")
    faq = {e["id"]: e for e in json.loads((app_dir / "aiagents" / "helpdesk" / "faq.json").read_text())}
    assert f"[1] {faq['add-robot.zh']['question']}\n{faq['add-robot.zh']['answer']}" in system["content"]

    await ask(agent, "Recommend a good pizza recipe", "chat-2")  # nothing relevant: the prompt alone
    assert chat_server.messages()[0]["content"] == "You are the test assistant."


def unused_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.parametrize(
    ("reply", "error", "reason"),
    [
        (Reply("status", status=401), CredentialsRefusedError, "HTTP 401"),
        (Reply("status", status=403), CredentialsRefusedError, "HTTP 403"),
        (Reply("status", status=429), RateLimitedError, "HTTP 429"),
        (Reply("status", status=500), ServerError, "HTTP 500"),
        (Reply("status", status=503), ServerError, "HTTP 503"),
        (Reply("status", status=404), RequestRejectedError, "check model 'test-model'"),
        (Reply("hang", seconds=2.0), AgentTimeoutError, "sent nothing for 0.3 s"),
        (Reply("not_json"), MalformedStreamError, "not JSON"),
        (Reply("html"), MalformedStreamError, "without any server-sent event"),
        (Reply("empty"), MalformedStreamError, "without any server-sent event"),
        (Reply("cut", ["The answer ", "was cut"]), MalformedStreamError, "broke off the answer"),
        (Reply("error_event"), ServerError, "The model is overloaded"),
    ],
    ids=lambda value: value.kind if isinstance(value, Reply) else None,
)
async def test_each_server_failure_becomes_its_own_error_with_a_message_for_the_user(app_dir, chat_server, reply, error, reason):
    chat_server.then(reply)
    # Only the hang waits out the timeout; the others get room to connect on a loaded machine.
    name = write_llm_agent(app_dir, chat_server, timeoutSeconds=0.3 if reply.kind == "hang" else 10)
    log = LogWatch(name)
    agent = App(app_dir).getElement(name)
    with pytest.raises(error) as caught:
        await ask(agent, "Hello?")
    assert reason in str(caught.value)
    assert caught.value.user_message == error.user_message and caught.value.user_message.startswith("抱歉")
    assert any(reason in line for line in log.messages("WARNING"))  # the log shows why
    assert not any(API_KEY in line for line in log.messages())
    assert agent.history("chat-1") == []  # a failed exchange is not remembered


async def test_an_unreachable_server_is_reported_as_such(app_dir, chat_server):
    name = write_llm_agent(app_dir, chat_server, baseUrl=f"http://127.0.0.1:{unused_port()}/v1")
    agent = App(app_dir).getElement(name)
    with pytest.raises(ServerUnreachableError, match="cannot connect to http://127.0.0.1:"):
        await ask(agent, "Hello?")


async def test_the_user_messages_of_the_errors_are_distinct_and_short():
    errors = [ServerUnreachableError, CredentialsRefusedError, RateLimitedError, ServerError, RequestRejectedError, AgentTimeoutError, MalformedStreamError]
    messages = [e.user_message for e in errors]
    assert len(set(messages)) == len(messages)
    assert all(issubclass(e, AgentError) and len(m) < 160 for e, m in zip(errors, messages))


async def test_run_calls_back_with_the_tutorial_chunk_shape_from_a_worker_thread(app_dir, chat_server):
    name = write_llm_agent(app_dir, chat_server)
    agent = App(app_dir).getElement(name)
    chat_server.stream("Hel", "lo", "!")
    received: list[dict] = []
    answer = await asyncio.to_thread(agent.run, params={"input_data": "Hi"}, chatId="staff-1", stream_callback=received.append)
    assert answer == "Hello!"
    assert received == [{"data": {"content": "Hel"}}, {"data": {"content": "lo"}}, {"data": {"content": "!"}}]


async def test_run_also_works_when_called_on_a_thread_with_a_running_loop(app_dir, chat_server):
    """The tutorial calls run() inside an async handler; that must not fail on a nested loop."""
    name = write_llm_agent(app_dir, chat_server)
    agent = App(app_dir).getElement(name)
    assert agent.run(params={"input_data": "Blocking call"}, chatId="staff-2") == "You asked: Blocking call"
    with pytest.raises(CredentialsRefusedError):
        chat_server.fail(401)
        agent.run(params={"input_data": "again"}, chatId="staff-2")


@pytest.mark.parametrize(
    ("knowledge_base", "message"),
    [
        ("aiagents.nowhere", "aiagents.gpt: config.json field knowledgeBase: aiagents.nowhere is no element of this app"),
        ("aiagents.gpt", "aiagents.gpt: config.json field knowledgeBase: names this instance itself"),
        ("aiagents.Meta", "aiagents.gpt: config.json field knowledgeBase: aiagents.Meta is a family, not an instance"),
        ("aiagents.other", "aiagents.gpt: config.json field knowledgeBase: aiagents.other is an instance of aiagents.openaiCompatibleType,"
                           " not of aiagents.knowledgeBaseType"),
    ],
)
def test_a_knowledge_base_that_is_not_a_knowledge_base_instance_is_a_load_and_check_error(app_dir, chat_server, knowledge_base, message):
    write_llm_agent(app_dir, chat_server, name="aiagents.other")
    name = write_llm_agent(app_dir, chat_server, knowledgeBase=knowledge_base)
    with pytest.raises(ElementError) as caught:
        App(app_dir).getElement(name)
    assert str(caught.value).startswith(message)
    assert any(str(p).startswith(message) for p in App(app_dir).check())


def test_a_missing_model_leaves_the_instance_needing_setup(app_dir, chat_server):
    name = write_llm_agent(app_dir, chat_server, model="")
    app = App(app_dir)
    assert app.missing_setup(name) == ["model"]
    assert [str(p) for p in app.check()] == ["aiagents.gpt: config.json field model: is required (the instance needs setup)"]


def test_the_agents_status_says_why_its_last_answer_failed_until_one_succeeds(app_dir, chat_server):
    ring_buffer()  # keep the records from here on
    name = write_llm_agent(app_dir, chat_server)
    app = App(app_dir)
    agent = app.getElement(name)
    chat_server.fail(401)
    with pytest.raises(CredentialsRefusedError):
        agent.run(params={"input_data": "first"}, chatId="staff-3")
    assert app.last_failure(name)[1].startswith(f"the last answer failed: HTTP 401 from {chat_server.url}")
    assert [e.message for e in ring_buffer().recent(name)][-1].startswith("no answer for chat staff-3: HTTP 401")
    agent.run(params={"input_data": "second"}, chatId="staff-3")
    assert app.last_failure(name) is None


def test_an_agent_that_cannot_load_says_so_in_its_own_log_and_status_in_one_line(app_dir, chat_server):
    ring_buffer()
    name = write_llm_agent(app_dir, chat_server, apiKey="{{UNSET_TEST_KEY}}")
    app = App(app_dir)
    with pytest.raises(ElementError):
        app.getElement(name)
    why = "cannot load: config.json field apiKey: variable UNSET_TEST_KEY is not set (set it in the environment or in the app's .env file)"
    assert app.last_failure(name)[1] == why
    assert [(e.level, e.message) for e in ring_buffer().recent(name)][-1] == ("ERROR", why)


async def test_with_vision_pictures_go_as_image_url_parts_and_the_chat_remembers_them(app_dir, chat_server):
    picture = Picture("image/png", b"\x89PNG\r\n\x1a\nrest")
    name = write_llm_agent(app_dir, chat_server, vision=True)
    agent = App(app_dir).getElement(name)
    assert agent.accepts_images is True
    chat_server.stream("A logo.")
    assert await ask_with(agent, "What is this?", [picture]) == ["A logo."]
    assert chat_server.messages()[-1] == {"role": "user", "content": [
        {"type": "text", "text": "What is this?"},
        {"type": "image_url", "image_url": {"url": "data:image/png;base64," + base64.b64encode(picture.data).decode()}},
    ]}
    await ask(agent, "And now?", "chat-pictures")
    assert chat_server.messages()[1:3] == [{"role": "user", "content": "What is this? [1 picture]"}, {"role": "assistant", "content": "A logo."}]


async def test_an_agent_without_vision_refuses_pictures_politely_and_asks_nothing(app_dir, chat_server):
    name = write_llm_agent(app_dir, chat_server)
    agent = App(app_dir).getElement(name)
    assert agent.accepts_images is False
    with pytest.raises(ImagesNotAcceptedError) as refused:
        await ask_with(agent, "What is this?", [Picture("image/png", b"\x89PNG")])
    assert "only read text" in refused.value.user_message and isinstance(refused.value, AgentError)
    assert chat_server.requests == []


async def ask_with(agent, question, images):
    return [chunk async for chunk in agent.stream(question, "chat-pictures", images=images)]
