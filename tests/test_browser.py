"""The search box in a real headless Chromium, on a page served from another origin than the API."""

from __future__ import annotations

import http.server
import os
import shutil
import socket
import threading
import time
from pathlib import Path

import pytest

from kb import Filters, KnowledgeBase, Settings
from tests.conftest import CORPUS, ROOT

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"
HAVE_BROWSER = Path(CHROMIUM).exists() and Path(CHROMEDRIVER).exists()
ARTIFACTS = ROOT / "tests" / "artifacts"

pytestmark = [pytest.mark.slow, pytest.mark.browser]
if not HAVE_BROWSER:
    if os.environ.get("KB_REQUIRE_BROWSER"):
        raise RuntimeError("KB_REQUIRE_BROWSER is set but chromium/chromedriver are missing: apt-get install chromium chromium-driver")
    pytestmark.append(pytest.mark.skip(reason="chromium and chromium-driver are not installed"))

HOSTILE_TITLE = 'Beekeeping <img src=x onerror="window.__xss=1"> cooperatives <script>window.__xss=2</script>'
HOSTILE_BODY = ("Refugee beekeeping cooperatives sell honey. <img src=x onerror=\"window.__xss=3\"> "
                "<script>window.__xss=4</script> Hives are shared by the members.")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_for(port: int, timeout: float = 30) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise TimeoutError(f"nothing listening on {port}")


@pytest.fixture(scope="module")
def servers(tmp_path_factory, embedder):
    """A real uvicorn serving a small index on one port, and an intranet page on another origin."""
    import uvicorn

    from kb.api import create_app

    docs = tmp_path_factory.mktemp("browser") / "docs"
    for sub in ("skills-guides", "tool-reports"):
        shutil.copytree(CORPUS / sub, docs / sub)
    (docs / "press-releases").mkdir()
    (docs / "press-releases" / "hostile.txt").write_text(HOSTILE_TITLE + "\n\n" + HOSTILE_BODY, encoding="utf-8")

    api_port, page_port = _free_port(), _free_port()
    page_origin = f"http://localhost:{page_port}"
    settings = Settings(index_dir=docs.parent / "index", cors_origins=(page_origin,))
    kb = KnowledgeBase(settings, embedder=embedder)
    kb.ingest([docs])
    server = uvicorn.Server(uvicorn.Config(create_app(settings, kb=kb), host="127.0.0.1", port=api_port, log_level="warning"))
    threading.Thread(target=server.run, daemon=True).start()

    site = docs.parent / "site"
    site.mkdir()
    (site / "index.html").write_text(f"""<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>Team page</title>
<script src="http://127.0.0.1:{api_port}/widget.js" defer></script></head>
<body><h1>Apprenticeships team</h1><kb-search api="http://127.0.0.1:{api_port}"></kb-search></body></html>""", encoding="utf-8")
    (site / "topic.html").write_text(f"""<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Our tools</title>
<script src="http://127.0.0.1:{api_port}/widget.js" defer></script></head>
<body><h1>Our tools on apprenticeships</h1><kb-search topic="apprenticeships" api="http://127.0.0.1:{api_port}"></kb-search></body></html>""",
                                     encoding="utf-8")
    handler = lambda *a, **kw: http.server.SimpleHTTPRequestHandler(*a, directory=str(site), **kw)  # noqa: E731
    page_server = http.server.ThreadingHTTPServer(("127.0.0.1", page_port), handler)
    threading.Thread(target=page_server.serve_forever, daemon=True).start()
    _wait_for(api_port)
    yield {"api": f"http://127.0.0.1:{api_port}", "page": f"{page_origin}/index.html", "topic_page": f"{page_origin}/topic.html",
           "kb": kb}
    server.should_exit = True
    page_server.shutdown()


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic",
                 "--window-size=1200,900", f"--user-data-dir={tmp_path_factory.mktemp('chrome-profile')}"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(30)
    yield driver
    driver.quit()


def _box(driver):
    from selenium.webdriver.support.ui import WebDriverWait

    WebDriverWait(driver, 20).until(lambda d: d.execute_script("return !!(customElements.get('kb-search'))"))
    return driver.find_element("css selector", "kb-search").shadow_root


def _type(driver, text: str):
    from selenium.webdriver.support.ui import WebDriverWait

    root = _box(driver)
    field = root.find_element("css selector", "input")
    field.clear()
    field.send_keys(text)
    WebDriverWait(driver, 30).until(
        lambda d: root.find_elements("css selector", "li[role=option]")
        and d.find_element("css selector", "kb-search").get_attribute("aria-busy") == "false"
    )
    return root, field


def test_a_question_finds_the_right_tool_across_origins(servers, browser):
    browser.get(servers["page"])
    root, field = _type(browser, "how can experienced workers get a formal certificate for skills they already have, without a course?")
    options = root.find_elements("css selector", "li[role=option]")
    first_title = options[0].find_element("css selector", ".title").text
    assert first_title.startswith("Recognition of Prior Learning")
    assert field.get_attribute("role") == "combobox" and field.get_attribute("aria-expanded") == "true"
    assert root.find_element("css selector", "ul").get_attribute("role") == "listbox"
    assert root.find_elements("css selector", "mark"), "query words are highlighted"
    assert root.find_elements("css selector", ".chip"), "facet chips are shown"
    ARTIFACTS.mkdir(exist_ok=True)
    browser.save_screenshot(str(ARTIFACTS / "search-box.png"))


def test_keyboard_moves_opens_and_closes(servers, browser):
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support.ui import WebDriverWait

    browser.get(servers["page"])
    root, field = _type(browser, "safety of young workers and apprentices")
    field.send_keys(Keys.ARROW_DOWN)
    first = root.find_elements("css selector", "li[role=option]")[0]
    assert first.get_attribute("aria-selected") == "true"
    assert field.get_attribute("aria-activedescendant") == first.get_attribute("id")
    field.send_keys(Keys.ARROW_DOWN)
    field.send_keys(Keys.ARROW_UP)
    assert first.get_attribute("aria-selected") == "true"
    href = first.find_element("css selector", ".title").get_attribute("href")
    tabs = set(browser.window_handles)
    field.send_keys(Keys.ENTER)
    WebDriverWait(browser, 10).until(lambda d: len(d.window_handles) > len(tabs))
    browser.switch_to.window((set(browser.window_handles) - tabs).pop())
    WebDriverWait(browser, 10).until(lambda d: d.current_url.startswith(servers["api"]))
    assert browser.current_url == href and "/documents/" in href and href.split("#")[0].endswith("/file")
    browser.close()
    browser.switch_to.window(tabs.pop())
    root = _box(browser)
    field = root.find_element("css selector", "input")
    field.send_keys(Keys.ESCAPE)
    assert root.find_element("css selector", ".panel").get_attribute("hidden") is not None
    assert field.get_attribute("aria-expanded") == "false"


def test_clicking_a_page_citation_opens_the_pdf_file(servers, browser):
    import urllib.request

    browser.get(servers["page"])
    root, _ = _type(browser, "assessment by portfolio, observation and interview")
    cite = root.find_elements("css selector", ".cite a")[0]
    href = cite.get_attribute("href")
    assert "#page=" in href and ".pdf/file" in href
    with urllib.request.urlopen(href.split("#")[0]) as response:  # what the click lands on
        assert response.headers["Content-Type"] == "application/pdf" and response.read(5) == b"%PDF-"
    tabs = set(browser.window_handles)
    cite.click()
    from selenium.webdriver.support.ui import WebDriverWait

    WebDriverWait(browser, 10).until(lambda d: len(d.window_handles) > len(tabs))
    browser.switch_to.window((set(browser.window_handles) - tabs).pop())
    assert browser.current_url.split("#")[0] == href.split("#")[0]
    browser.close()
    browser.switch_to.window(tabs.pop())


def test_hostile_titles_and_text_render_as_text_and_run_nothing(servers, browser):
    browser.get(servers["page"])
    root, _ = _type(browser, "refugee beekeeping cooperatives honey")
    first = root.find_elements("css selector", "li[role=option]")[0]
    assert "<img src=x" in first.find_element("css selector", ".title").text
    assert "<script>" in first.find_element("css selector", ".snippet").text
    assert not root.find_elements("css selector", "img, script")
    time.sleep(0.5)
    assert browser.execute_script("return window.__xss === undefined")


def test_no_confident_match_is_shown_plainly(servers, browser):
    browser.get(servers["page"])
    root, _ = _type(browser, "interest rate rules for mortgage lending by central banks")
    notice = root.find_element("css selector", ".notice")
    assert notice.is_displayed() and "No confident match" in notice.text


def test_narrow_phone_screen(servers, browser):
    browser.set_window_size(390, 800)
    try:
        browser.get(servers["page"])
        root, _ = _type(browser, "gender-responsive training")
        panel = root.find_element("css selector", ".panel")
        assert panel.size["width"] <= 390
        ARTIFACTS.mkdir(exist_ok=True)
        browser.save_screenshot(str(ARTIFACTS / "search-box-phone.png"))
    finally:
        browser.set_window_size(1200, 900)


def test_a_box_opened_on_a_topic_lists_that_topics_documents(servers, browser):
    from selenium.webdriver.support.ui import WebDriverWait

    browser.get(servers["topic_page"])
    root = _box(browser)
    root.find_element("css selector", "input").click()
    WebDriverWait(browser, 20).until(lambda d: root.find_elements("css selector", "li[role=option]"))
    shown = [li.find_element("css selector", ".title").text for li in root.find_elements("css selector", "li[role=option]")]
    tagged = servers["kb"].browse(Filters(where={"topic": ("apprenticeships",)}), k=8).hits
    assert shown == [h.title for h in tagged] and shown
