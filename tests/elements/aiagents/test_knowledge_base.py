"""aiagents.knowledgeBaseType: answers from the app's own Q&A and markdown files, offline."""
from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from element_studio.elements.aiagents.agent_api import Agent
from element_studio.runtime.app import App
from element_studio.runtime.errors import ElementError

from .conftest import LogWatch, ask, copy_helpdesk, write_knowledge_base

HERE = Path(__file__).resolve().parent


def faq_entries(app_dir: Path) -> dict[str, dict]:
    return {entry["id"]: entry for entry in json.loads((app_dir / "aiagents" / "helpdesk" / "faq.json").read_text())}


@pytest.fixture
def helpdesk(app_dir):
    """The sample app's helpdesk agent, loaded from a copy in a temp app."""
    copy_helpdesk(app_dir)
    return App(app_dir).getElement("aiagents.helpdesk")


def top_one_accuracy(agent, questions: list[list[str]]) -> tuple[float, list[str]]:
    misses = []
    for question, expected in questions:
        hits = agent.search(question)
        if not hits or hits[0].passage.id != expected:
            misses.append(f"{question!r}: expected {expected}, got {hits[0].passage.id if hits else 'the fallback'}")
    return 1 - len(misses) / len(questions), misses


def test_the_shipped_faq_is_bilingual_with_at_least_30_entries_per_language(app_dir):
    copy_helpdesk(app_dir)
    entries = faq_entries(app_dir)
    english = [i for i in entries if i.endswith(".en")]
    chinese = [i for i in entries if i.endswith(".zh")]
    assert len(english) >= 30 and len(chinese) >= 30
    assert all(any("\u4e00" <= ch <= "\u9fff" for ch in entries[i]["question"]) for i in chinese)


def test_paraphrased_questions_find_the_right_entry_first(helpdesk):
    """Questions worded differently from the FAQ (English and Chinese) rank the right entry first."""
    questions = json.loads((HERE / "paraphrases.json").read_text())
    assert len(questions) >= 40
    faq_questions = {e.title for e in helpdesk.knowledge.passages}
    assert not faq_questions & {q for q, _ in questions}, "paraphrases must not copy the FAQ's wording"
    accuracy, misses = top_one_accuracy(helpdesk, questions)
    assert accuracy >= 0.90, "\n".join(misses)


def test_questions_written_after_the_faq_was_tuned_still_mostly_find_their_entry(helpdesk):
    """A guard against overfitting: a second set, never used to tune the FAQ or the ranking."""
    questions = json.loads((HERE / "unseen_paraphrases.json").read_text())
    accuracy, misses = top_one_accuracy(helpdesk, questions)
    assert accuracy >= 0.75, "\n".join(misses)


async def test_the_sample_answers_in_chinese_and_in_english_sentence_by_sentence(app_dir, helpdesk):
    entries = faq_entries(app_dir)
    chinese = await ask(helpdesk, "我想新建一个钉钉机器人，步骤是什么？")
    english = await ask(helpdesk, "I'd like to set up a new DingTalk robot, what are the steps?", chat_id="chat-2")
    assert "".join(chinese) == entries["add-robot.zh"]["answer"] + "\n\n来源：" + entries["add-robot.zh"]["question"]
    assert "".join(english) == entries["add-robot.en"]["answer"] + "\n\nSource: " + entries["add-robot.en"]["question"]
    assert len(chinese) >= 3 and len(english) >= 3  # sentences, not one blob
    assert chinese[0].endswith("。") and english[0].endswith(". ")


async def test_every_faq_question_asked_word_for_word_gets_its_own_entry_in_both_languages(app_dir, helpdesk):
    """Each entry's question and alternatives, exactly as written (and in other letter case),
    are answered with that entry: even "What is Element Studio?", whose only words are in every entry."""
    wrong = []
    asked = 0
    for entry in faq_entries(app_dir).values():
        label = "来源：" if entry["id"].endswith(".zh") else "Source: "
        expected = entry["answer"] + "\n\n" + label + entry["question"]
        for question in [entry["question"], *entry.get("alternatives", []), entry["question"].upper()]:
            asked += 1
            answer = "".join(await ask(helpdesk, question))
            if answer != expected:
                wrong.append(f"{question!r} ({entry['id']}) got: {answer[:60]!r}")
    assert asked >= 200
    assert wrong == []


async def test_asking_how_to_connect_a_robot_to_dingtalk_gets_the_add_a_robot_entry(app_dir, helpdesk):
    entries = faq_entries(app_dir)
    assert "".join(await ask(helpdesk, "机器人怎么接入钉钉？")).startswith(entries["add-robot.zh"]["answer"])
    assert "".join(await ask(helpdesk, "How do I connect a robot to DingTalk?")).startswith(entries["add-robot.en"]["answer"])


@pytest.mark.parametrize(
    "question",
    ["What's the weather like in Paris tomorrow?", "今天天气怎么样？", "Recommend a good pizza recipe", "给我讲个笑话", "帮我写一首关于春天的诗"],
)
async def test_an_off_topic_question_gets_the_fallback_answer(app_dir, helpdesk, question):
    fallback = json.loads((app_dir / "aiagents" / "helpdesk" / "config.json").read_text())["fallbackAnswer"]
    assert "".join(await ask(helpdesk, question)) == fallback


async def test_without_citation_the_answer_is_the_entry_alone(app_dir):
    qa = [{"question": "What are the opening hours?", "answer": "We are open 9:00 to 17:00. Closed on Sundays."}]
    name = write_knowledge_base(app_dir, {"faq.json": json.dumps(qa)}, citeSource=False, minScore=0)
    agent = App(app_dir).getElement(name)
    assert await ask(agent, "when are you open") == ["We are open 9:00 to 17:00. ", "Closed on Sundays."]


async def test_markdown_files_are_answered_section_by_section(app_dir):
    guide = (
        "# Office guide\n\nWelcome to the office.\n\n"
        "## Parking\n\nCars park in the basement garage, level -2. Bicycles go in the courtyard.\n\n"
        "## Wi-Fi\n\nThe network is `guest-net`; the password is on the kitchen board.\n\n"
        "```\n# not a heading: a comment in a code block\n```\n\n"
        "## 食堂\n\n食堂在三楼，午餐时间是 11:30 到 13:30。\n"
    )
    name = write_knowledge_base(app_dir, {"guide.md": guide}, minScore=0)
    agent = App(app_dir).getElement(name)
    parking = "".join(await ask(agent, "where can I park my car?"))
    assert parking.startswith("Cars park in the basement garage") and parking.endswith("Source: Office guide › Parking")
    wifi = "".join(await ask(agent, "what's the wifi password"))
    assert "# not a heading" in wifi and "Source: Office guide › Wi-Fi" in wifi
    assert "".join(await ask(agent, "午餐在哪里吃？")).startswith("食堂在三楼")


async def test_alternative_wordings_of_a_question_are_searched_too(app_dir):
    qa = [
        {"question": "How do I reset my password?", "answer": "Use the reset link on the login page.", "alternatives": ["I forgot my login credentials"]},
        {"question": "How do I change my email address?", "answer": "Open your profile and edit the email field."},
    ]
    name = write_knowledge_base(app_dir, {"faq.json": json.dumps(qa)}, citeSource=False, minScore=0)
    agent = App(app_dir).getElement(name)
    assert "".join(await ask(agent, "forgot credentials")) == "Use the reset link on the login page."


async def test_the_index_is_rebuilt_when_a_knowledge_file_changes_and_not_per_question(app_dir):
    faq = [{"question": "What is the support phone number?", "answer": "Call 010-1234."}]
    name = write_knowledge_base(app_dir, {"faq.json": json.dumps(faq)}, citeSource=False, minScore=0)
    log = LogWatch(name)
    agent = App(app_dir).getElement(name)
    assert "".join(await ask(agent, "support phone number?")) == "Call 010-1234."
    assert "".join(await ask(agent, "support phone number?")) == "Call 010-1234."
    assert len([m for m in log.messages() if "knowledge index built" in m]) == 1

    faq[0]["answer"] = "Call 010-5678 (new number since May)."
    faq.append({"question": "Where is the office?", "answer": "Zhongguancun Street 1, Beijing."})
    path = app_dir / "aiagents" / "kb" / "faq.json"
    path.write_text(json.dumps(faq))
    assert "".join(await ask(agent, "support phone number?")) == "Call 010-5678 (new number since May)."
    assert "".join(await ask(agent, "where is the office")) == "Zhongguancun Street 1, Beijing."
    assert len([m for m in log.messages() if "knowledge index built: 2 passages" in m]) == 1


async def test_a_knowledge_file_removed_while_running_keeps_the_last_index_and_logs_why(app_dir):
    faq = [{"question": "What is the support phone number?", "answer": "Call 010-1234."}]
    name = write_knowledge_base(app_dir, {"faq.json": json.dumps(faq)}, citeSource=False, minScore=0)
    log = LogWatch(name)
    agent = App(app_dir).getElement(name)
    os.remove(app_dir / "aiagents" / "kb" / "faq.json")
    assert "".join(await ask(agent, "support phone number?")) == "Call 010-1234."
    assert any("file faq.json not found" in m for m in log.messages("WARNING"))


def test_a_missing_knowledge_file_is_a_load_error_naming_it(app_dir):
    name = write_knowledge_base(app_dir, {"faq.json": "[]"})
    config = app_dir / "aiagents" / "kb" / "config.json"
    config.write_text(json.dumps({"sources": ["faq.json", "manual.md"]}))
    with pytest.raises(ElementError) as caught:
        App(app_dir).getElement(name)
    message = str(caught.value)
    assert message.startswith("aiagents.kb: config.json field sources.1: file manual.md not found at ")
    assert str(app_dir / "aiagents" / "kb" / "manual.md") in message


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('[{"question": "a", "answer": "b"},]', "faq.json: invalid JSON at line 1 column"),
        ('[{"question": "Where?"}]', 'faq.json: entry 1 needs a non-empty "answer" text'),
        ('{"faq": []}', 'faq.json: expected a list of {"question", "answer"} entries'),
    ],
)
def test_a_broken_qa_file_is_a_load_error_saying_what_is_wrong(app_dir, text, expected):
    name = write_knowledge_base(app_dir, {"faq.json": text})
    with pytest.raises(ElementError, match="config.json field sources.0") as caught:
        App(app_dir).getElement(name)
    assert expected in str(caught.value)


def test_the_agent_follows_the_shared_agent_interface(helpdesk):
    assert isinstance(helpdesk, Agent)
    chunks: list[dict] = []
    answer = helpdesk.run(params={"input_data": "Which Python version do I need?"}, chatId="sync", stream_callback=chunks.append)
    assert answer == "".join(c["data"]["content"] for c in chunks) and len(chunks) > 1
    assert "Python version 3.11" in answer
    assert helpdesk.history("sync") == [
        {"role": "user", "content": "Which Python version do I need?"},
        {"role": "assistant", "content": answer},
    ]


@pytest.mark.parametrize("question", ["How do I add a robot?", "add robot"])
def test_a_short_question_is_not_held_to_a_full_questions_score(helpdesk, question):
    """The example `serve` prints must be answered: two words cannot sum to a full question's BM25."""
    assert [hit.passage.id for hit in helpdesk.search(question)][:1] == ["add-robot.en"]


def test_check_reports_a_missing_knowledge_file_before_first_use(app_dir):
    folder = copy_helpdesk(app_dir)
    (folder / "faq.json").unlink()
    problems = [str(p) for p in App(app_dir).check()]
    assert len(problems) == 1
    assert problems[0].startswith("aiagents.helpdesk: config.json field sources.0: file faq.json not found")
