"""中文 and English: the reader's language from the switch or the browser, every visible text
marked and translated, validation messages in that language, families translating themselves."""
from __future__ import annotations

import ast
import json
import re
from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

from element_studio.editor.i18n import COOKIE
from tests.support.elements import write_element

ROOT = Path(__file__).resolve().parents[2]
PO = ROOT / "editor" / "translations" / "zh" / "LC_MESSAGES" / "messages.po"
MO = PO.with_suffix(".mo")
EDITOR_METHODS = [("editor/templates/**.html", "jinja2"), ("editor/static/studio.js", "javascript"), ("editor/**.py", "python")]
SHIPPED = ["elements/aiagents/Meta", "elements/aiagents/openaiCompatibleType", "elements/aiagents/knowledgeBaseType",
           "elements/imRobots/Meta", "elements/imRobots/dingTalkStreamType", "elements/imRobots/feishuType"]
FAMILY_PAGES = ROOT / "elements" / "imRobots" / "Meta" / "pages"
TEMPLATE_FOLDERS = [ROOT / "editor" / "templates", FAMILY_PAGES / "templates"]
# Words that stay as they are in every language: the product, file names, formats.
UNTRANSLATED = {"Element Studio", "e.json", "config.json", "JSON", "·", "→", "×", "+", "↑", "↓", "✓", "!", "*", "/", "—"}


def message_ids(folder: Path, methods) -> set[str]:
    ids = set()
    for _file, _line, message, _comments, _context in extract_from_dir(str(folder), method_map=methods):
        ids.add(message if isinstance(message, str) else message[0])
    return ids


def visible_text(template: str) -> list[str]:
    """What a template shows a person outside `{{ }}` and `{% %}`: text between tags and the
    attributes people read (aria-label, title, placeholder, alt)."""
    text = re.sub(r"\{#.*?#\}", "", template, flags=re.S)
    text = re.sub(r"\{\{.*?\}\}|\{%.*?%\}", "\x00", text, flags=re.S)
    text = re.sub(r"<(svg|code|script|style)\b.*?</\1>", "", text, flags=re.S)
    found = re.findall(r'\b(?:aria-label|title|placeholder|alt)="([^"]*)"', text)
    found += re.findall(r">([^<]+)<", text)
    found = [chunk for chunk in found if '="' not in chunk]  # a macro's attribute list, not text
    return [piece.strip() for chunk in found for piece in chunk.split("\x00")
            if re.search(r"[A-Za-z]{2,}", piece) and piece.strip(" ·") not in UNTRANSLATED]


def test_every_text_in_the_templates_is_marked_for_translation():
    for folder in TEMPLATE_FOLDERS:
        for path in folder.rglob("*.html"):
            assert visible_text(path.read_text(encoding="utf-8")) == [], f"{path.relative_to(ROOT)} shows unmarked text"


def test_views_say_nothing_unmarked():
    """A flash, an abort, a Response body or an error page built from a literal English text is
    a text the catalog never sees."""
    speaking = {"flash", "abort", "Response", "_error_page", "Outcome", "_json_error", "_result"}
    for path in (ROOT / "editor").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and getattr(node.func, "id", getattr(node.func, "attr", "")) in speaking:
                for arg in node.args:
                    literal = isinstance(arg, ast.JoinedStr) or (isinstance(arg, ast.Constant) and isinstance(arg.value, str)
                                                                 and re.search(r"[A-Za-z]{2,} ", arg.value))
                    assert not literal, f"{path.relative_to(ROOT)}:{node.lineno} says an unmarked text"


def test_the_scripts_sentences_go_through_its_catalog():
    script = (ROOT / "editor" / "static" / "studio.js").read_text(encoding="utf-8")
    code = re.sub(r"//.*", "", script)
    for match in re.finditer(r'"([A-Z][a-z]+ [^"]*)"', code):
        assert code[max(0, match.start() - 2):match.start()] == "_(", f"studio.js shows {match.group(1)!r} unmarked"


def test_every_marked_text_has_a_chinese_translation_and_the_mo_says_what_the_po_says():
    catalog = read_po(PO.open("rb"))
    translated = {(m.id if isinstance(m.id, str) else m.id[0]): m.string for m in catalog if m.id}
    for message in message_ids(ROOT, EDITOR_METHODS):
        assert translated.get(message), f"no Chinese for {message!r}: run bash scripts/translations.sh update, translate, compile"
    compiled = read_mo(MO.open("rb"))
    for message in catalog:
        if message.id:
            shown = compiled.get(message.id)
            assert shown is not None and list(_forms(shown.string)) == list(_forms(message.string)), \
                f"{MO.relative_to(ROOT)} is stale: run bash scripts/translations.sh compile"


def _forms(string):
    return [string] if isinstance(string, str) else string


def english_of(folder: Path) -> dict:
    """What en.json must hold: e.json's title and description and every titled schema node."""
    descriptor = json.loads((folder / "e.json").read_text())
    wanted = {"title": descriptor["title"], "description": descriptor.get("description", "")}
    schema_path = folder / "config.schema.json"
    nodes = {}

    def walk(node, pointer):
        if not isinstance(node, dict):
            return
        texts = {key: node[k] for k, key in (("title", "title"), ("description", "description"), ("x-placeholder", "placeholder"),
                                             ("x-pattern-message", "patternMessage")) if isinstance(node.get(k), str)}
        if pointer and texts:
            nodes[pointer] = texts
        for key in ("properties", "$defs"):
            for name, sub in node.get(key, {}).items():
                walk(sub, f"{pointer}/{key}/{name}")
        for key in ("oneOf", "anyOf", "allOf"):
            for index, sub in enumerate(node.get(key, [])):
                walk(sub, f"{pointer}/{key}/{index}")
        for key in ("items", "then", "else"):
            walk(node.get(key), f"{pointer}/{key}")

    if schema_path.exists():
        walk(json.loads(schema_path.read_text()), "")
    return {**wanted, "schema": nodes}


def test_the_shipped_families_ship_english_and_chinese_that_agree_with_their_sources():
    page_texts = message_ids(FAMILY_PAGES, [("templates/**.html", "jinja2"), ("**.py", "python")])
    editor_catalog = {m.id if isinstance(m.id, str) else m.id[0] for m in read_po(PO.open("rb")) if m.id}
    for name in SHIPPED:
        folder = ROOT / name
        en = json.loads((folder / "translations" / "en.json").read_text(encoding="utf-8"))
        zh = json.loads((folder / "translations" / "zh.json").read_text(encoding="utf-8"))
        source = english_of(folder)
        assert (en["title"], en.get("description", "")) == (source["title"], source["description"]), name
        for pointer, texts in source["schema"].items():
            assert {k: v for k, v in en["schema"][pointer].items() if k != "enum"} == texts, f"{name} en.json {pointer}"
        assert set(zh) == set(en) and set(zh.get("schema", {})) == set(en.get("schema", {})), name
        for pointer, entry in en.get("schema", {}).items():
            assert set(zh["schema"][pointer]) == set(entry) and all(zh["schema"][pointer].values()), f"{name} zh.json {pointer}"
        assert set(zh.get("texts", {})) == set(en.get("texts", {})) and all(zh.get("texts", {}).values()), name
    family_texts = json.loads((ROOT / "elements/imRobots/Meta/translations/en.json").read_text())["texts"]
    assert page_texts - editor_catalog - set(family_texts) == set(), "the family's pages mark texts its en.json lacks"


def test_a_chinese_browser_gets_chinese_and_the_switch_brings_english_back(session):
    page = session.get("/", headers={"Accept-Language": "zh-CN,zh;q=0.9,en;q=0.5"}).get_data(as_text=True)
    assert '<html lang="zh-CN">' in page and "元素" in page and "钉钉机器人" in page and ">New<" not in page
    english = session.post("/language", data={"language": "en", "next": "/"}, htmx=False, headers={"Accept-Language": "zh-CN"})
    assert english.status_code == 302 and f"{COOKIE}=en" in english.headers["Set-Cookie"]
    page = session.get("/", headers={"Accept-Language": "zh-CN"}).get_data(as_text=True)
    assert '<html lang="en">' in page and "DingTalk Robot" in page and "钉钉机器人" not in page
    session.post("/language", data={"language": "zh", "next": "/"}, htmx=False)
    assert '<html lang="zh-CN">' in session.get("/").get_data(as_text=True)


def test_without_a_choice_or_a_known_language_it_is_english(client):
    page = client.get("/", headers={"Accept-Language": "fr-FR"}).get_data(as_text=True)
    assert '<html lang="en">' in page and "Elements" in page


def test_validation_messages_and_the_form_come_in_the_readers_language(session, app_dir, supervisor):
    write_element(app_dir, "aiagents.faq", {"title": "FAQ", "type": "aiagents.knowledgeBaseType", "backendBundleEntry": "."},
                  config={"sources": ["faq.json"], "topK": 3})
    supervisor.app.refresh()
    session.client.set_cookie(COOKIE, "zh")
    form = session.get("/instances/aiagents.faq").get_data(as_text=True)
    assert "知识文件" in form and "每个问题的段落数" in form and "Passages per question" not in form
    answer = session.post("/instances/aiagents.faq/review", data={"_fingerprint": "", "element/title": "", "config/topK": "0",
                                                                  "config/sources/0": "faq.json", "element/load": "demand"})
    body = answer.get_data(as_text=True)
    assert "请填写此字段。" in body and "不能小于 1。" in body and "未保存。" in body


def test_naming_a_new_instance_and_a_wrong_reference_are_said_in_chinese(session, app_dir, supervisor):
    session.client.set_cookie(COOKIE, "zh")
    naming = session.get("/types/imRobots.dingTalkStreamType/new").get_data(as_text=True)
    assert "先为它命名" in naming and ">创建<" in naming and "Name it first" not in naming
    dotted = session.post("/types/imRobots.dingTalkStreamType/new", {"name": "a.b"}, htmx=False)
    assert dotted.status_code == 422 and "名称中不能有点号" in dotted.get_data(as_text=True)
    write_element(app_dir, "imRobots.desk", {"title": "Desk", "type": "imRobots.dingTalkStreamType", "backendBundleEntry": "."},
                  config={"agent": "aiagents.nothing", "clientId": "id", "clientSecret": "secret"})
    supervisor.app.refresh()
    review = session.post("/instances/imRobots.desk/review", {"_fingerprint": "", "element/title": "Desk", "config/agent": "aiagents.nothing",
                                                              "config/clientId": "id", "element/load": "demand"})
    assert "本应用中没有元素 aiagents.nothing；请选择 aiagents.Meta 的一个实例。" in review.get_data(as_text=True)


def test_a_types_own_status_words_come_in_the_readers_language(client):
    from element_studio.editor.live_status import health_rows
    from element_studio.editor.status import chip_for_status
    from element_studio.elements.imRobots.Meta.robot_status import status_fields
    from element_studio.runtime.service import InstanceState, InstanceStatus

    running = InstanceStatus("imRobots.bot", "Bot", "imRobots.dingTalkStreamType", InstanceState.RUNNING,
                             detail={"connection": "connected", "answerForm": "streaming card", "note": "streaming card"})
    with client.application.test_request_context("/", headers={"Cookie": f"{COOKIE}=zh"}):
        rows = {row.label: row.value for row in health_rows(running, chip_for_status(running, status_fields), status_fields)}
    assert rows["Answers as"] == "流式卡片"  # the family's translations/zh.json says it
    assert rows["note"] == "streaming card"  # a key the Type did not declare is shown as it came
