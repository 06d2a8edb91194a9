"""The language in real Chromium: a Chinese browser gets Chinese, the top bar's switch changes
the page and is remembered."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.support.elements import write_element

pytestmark = pytest.mark.browser


@pytest.fixture
def chinese_tab(browser, live_server, app_dir, supervisor):
    write_element(app_dir, "aiagents.faq", {"title": "FAQ", "type": "aiagents.knowledgeBaseType", "backendBundleEntry": "."},
                  {"sources": ["faq.json"]})
    supervisor.app.refresh()
    context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900})
    tab = context.new_page()
    tab.set_default_timeout(8000)
    problems: list[str] = []
    tab.on("pageerror", lambda error: problems.append(str(error)))
    yield tab
    context.close()
    assert problems == []


def test_a_chinese_browser_gets_chinese_and_the_switch_to_english_is_remembered(chinese_tab, live_server):
    tab = chinese_tab
    tab.goto(live_server + "/")
    expect(tab.locator("html")).to_have_attribute("lang", "zh-CN")
    expect(tab.get_by_role("heading", level=1)).to_have_text("元素")
    expect(tab.get_by_role("heading", name="知识库智能体")).to_be_visible()

    tab.goto(live_server + "/instances/aiagents.faq")
    tab.get_by_label("每个问题的段落数").fill("0")
    tab.get_by_role("button", name="检查并保存").click()
    expect(tab.locator("#config-topK-feedback, [id$='topK-feedback']").first).to_contain_text("不能小于 1。")

    tab.get_by_role("button", name="English").click()
    expect(tab.locator("html")).to_have_attribute("lang", "en")
    expect(tab.get_by_role("button", name="Review & save")).to_be_visible()
    tab.goto(live_server + "/")
    expect(tab.get_by_role("heading", level=1)).to_have_text("Elements")
    expect(tab.get_by_role("heading", name="Knowledge-base agent")).to_be_visible()

    tab.get_by_role("button", name="中文").click()
    expect(tab.get_by_role("heading", level=1)).to_have_text("元素")
