"""Per-chat memory: kept, capped, expired, and still there after a restart (a new App)."""
from __future__ import annotations

from sqlalchemy import select

from element_studio.elements.aiagents.chat_memory import chat_memory
from element_studio.runtime.app import App
from tests.support.waiting import wait_until

from .conftest import ask, write_knowledge_base, write_llm_agent


def history_sent(server, request: int = -1) -> list[tuple[str, str]]:
    """(role, content) of the earlier turns a request carried (system prompt and question left out)."""
    return [(m["role"], m["content"]) for m in server.messages(request)[1:-1]]


async def test_turns_are_kept_per_agent_and_chat(app_dir, chat_server):
    write_llm_agent(app_dir, chat_server, name="aiagents.first")
    write_llm_agent(app_dir, chat_server, name="aiagents.second")
    app = App(app_dir)
    first, second = app.getElement("aiagents.first"), app.getElement("aiagents.second")
    await ask(first, "one", "chat-a")
    await ask(first, "two", "chat-a")
    assert history_sent(chat_server) == [("user", "one"), ("assistant", "You asked: one")]
    await ask(second, "three", "chat-a")  # same chat id, another agent: its own memory
    assert history_sent(chat_server) == []
    assert first.history("chat-a") == [
        {"role": "user", "content": "one"},
        {"role": "assistant", "content": "You asked: one"},
        {"role": "user", "content": "two"},
        {"role": "assistant", "content": "You asked: two"},
    ]


async def test_only_the_last_turns_are_sent_and_stored(app_dir, chat_server):
    name = write_llm_agent(app_dir, chat_server, maxHistoryTurns=2)
    app = App(app_dir)
    agent = app.getElement(name)
    for number in range(1, 6):
        await ask(agent, f"question {number}")
    assert history_sent(chat_server) == [
        ("user", "question 3"),
        ("assistant", "You asked: question 3"),
        ("user", "question 4"),
        ("assistant", "You asked: question 4"),
    ]
    with app.storage.connect() as conn:
        rows = conn.execute(select(chat_memory.c.content).where(chat_memory.c.agent == name).order_by(chat_memory.c.id)).scalars().all()
    assert rows == ["question 4", "You asked: question 4", "question 5", "You asked: question 5"]


async def test_no_history_is_kept_with_zero_turns(app_dir, chat_server):
    name = write_llm_agent(app_dir, chat_server, maxHistoryTurns=0)
    agent = App(app_dir).getElement(name)
    await ask(agent, "first")
    await ask(agent, "second")
    assert history_sent(chat_server) == [] and agent.history("chat-1") == []


async def test_a_chat_idle_for_longer_than_the_idle_time_starts_afresh(app_dir, chat_server):
    name = write_llm_agent(app_dir, chat_server, memoryIdleMinutes=0.005)  # 0.3 s
    agent = App(app_dir).getElement(name)
    await ask(agent, "before the break")
    await ask(agent, "right after")
    assert history_sent(chat_server) == [("user", "before the break"), ("assistant", "You asked: before the break")]
    wait_until(lambda: agent.history("chat-1") == [], message="the chat was still remembered after its idle time")
    await ask(agent, "after a long pause")
    assert history_sent(chat_server) == []
    assert [t["content"] for t in agent.history("chat-1")] == ["after a long pause", "You asked: after a long pause"]


async def test_memory_survives_a_restart(app_dir, chat_server):
    name = write_llm_agent(app_dir, chat_server)
    await ask(App(app_dir).getElement(name), "remember the number 42", "chat-r")
    restarted = App(app_dir)  # a new process would build a new App over the same folder
    await ask(restarted.getElement(name), "what was the number?", "chat-r")
    assert history_sent(chat_server) == [("user", "remember the number 42"), ("assistant", "You asked: remember the number 42")]


async def test_the_knowledge_base_agent_remembers_its_exchanges_too(app_dir):
    qa = '[{"question": "What is the support phone number?", "answer": "Call 010-1234."}]'
    name = write_knowledge_base(app_dir, {"faq.json": qa}, citeSource=False, minScore=0)
    await ask(App(app_dir).getElement(name), "phone number?", "chat-k")
    assert App(app_dir).getElement(name).history("chat-k") == [
        {"role": "user", "content": "phone number?"},
        {"role": "assistant", "content": "Call 010-1234."},
    ]
