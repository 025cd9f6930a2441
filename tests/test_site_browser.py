"""The site in a real browser: headless Chromium on a phone-sized screen, over HTTP from the preview server."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from content.site.build import build_site
from content.site.serve import site_server
from tests.harness import shared_content

playwright_api = pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed")

DEBIAN_CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--no-sandbox",
    "--headless",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
PHONE = {"width": 390, "height": 844}
PAGE = "docomo-e-on-cl"  # docomo, eSIM, online, ending the number, leaving Japan


@dataclass
class Browser:
    base: str  # the preview server's address
    browser: playwright_api.Browser
    requests: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def page(self, *, javascript: bool = True) -> playwright_api.Page:
        context = self.browser.new_context(viewport=PHONE, java_script_enabled=javascript)
        page = context.new_page()
        page.on("request", lambda request: self.requests.append(request.url))
        page.on("console", lambda message: self.errors.append(message.text) if message.type == "error" else None)
        page.on("pageerror", lambda error: self.errors.append(str(error)))
        return page


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Browser]:
    root = tmp_path_factory.mktemp("site")
    build_site(shared_content(), root, bot_username="jpsim_test_bot")
    server = site_server(root, port=0)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    with playwright_api.sync_playwright() as driver:
        if DEBIAN_CHROMIUM.exists():
            launched = driver.chromium.launch(executable_path=str(DEBIAN_CHROMIUM), args=ARGS)
        elif Path(driver.chromium.executable_path).exists():
            launched = driver.chromium.launch(args=ARGS)
        else:
            server.shutdown()
            server.server_close()
            pytest.skip(
                "no browser: neither Debian's chromium (apt-get install chromium) nor a Playwright browser "
                "(python -m playwright install chromium) is installed"
            )
        try:
            yield Browser(f"http://127.0.0.1:{server.server_address[1]}", launched)
        finally:
            launched.close()
            server.shutdown()
            server.server_close()


def test_a_procedure_page_on_a_phone_then_in_japanese(browser: Browser, tmp_path: Path) -> None:
    content = shared_content()
    provider = content.providers["docomo"]
    proc = provider.procedure_for("esim", "online")
    assert proc is not None
    sel = {"provider": "docomo", "sim": "esim", "channel": "online", "goal": "cancel", "stay": "leaving"}
    page = browser.page()
    page.goto(f"{browser.base}/en/{PAGE}.html")

    steps = page.locator("#steps li")
    assert steps.count() == len(proc.steps_for(sel))
    assert steps.first.is_visible()
    assert proc.steps_for(sel)[0].text["en"][:40] in steps.first.inner_text()
    official = page.locator(".official a")
    assert official.is_visible()
    assert official.get_attribute("href") == provider.links[proc.official_link].url
    assert page.locator("a.button").is_visible()
    # Mobile first: nothing wider than the phone, so no sideways scrolling.
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    page.screenshot(path=tmp_path / "en.png", full_page=True)

    page.get_by_role("link", name=content.text("language_name", "ja")).click()
    page.wait_for_url(f"**/ja/{PAGE}.html")
    assert page.locator("html").get_attribute("lang") == "ja"
    assert page.locator("h1").inner_text() == proc.title["ja"]
    assert page.locator("#steps li").first.is_visible()
    assert page.locator(".official a").is_visible()
    assert page.title().startswith(proc.title["ja"])
    page.screenshot(path=tmp_path / "ja.png")
    assert (tmp_path / "en.png").stat().st_size > 10_000
    assert (tmp_path / "ja.png").stat().st_size > 10_000

    # Printed: the checklist and the official page stay, the navigation and the Telegram button go.
    page.emulate_media(media="print")
    assert page.locator("#checklist").is_visible()
    assert page.locator(".official").is_visible()
    assert not page.locator("a.button").is_visible()
    assert not page.locator("header.bar").is_visible()

    assert all(url.startswith(browser.base) for url in browser.requests), browser.requests
    assert browser.errors == []


def test_the_index_filter_works_with_javascript_and_the_index_reads_without(browser: Browser) -> None:
    content = shared_content()
    page = browser.page()
    page.goto(f"{browser.base}/en/index.html")
    box = page.get_by_label(content.text("web_filter_label", "en"))
    assert box.is_visible()
    box.fill("ソフトバンク")  # the filter matches names in every language and the bot's keywords
    assert page.locator("#softbank").is_visible()
    assert not page.locator("#docomo").is_visible()
    assert not page.locator("#filter-none").is_visible()
    box.fill("no such carrier")
    assert page.locator("#filter-none").is_visible()
    assert page.locator(".provider:visible").count() == 0
    box.fill("")
    assert page.locator(".provider:visible").count() == len(content.providers)

    plain = browser.page(javascript=False)
    plain.goto(f"{browser.base}/zh-Hans/index.html")
    assert not plain.locator("#filter").is_visible()
    assert plain.locator(".provider:visible").count() == len(content.providers)
    plain.locator("#au a").first.click()
    plain.wait_for_url("**/zh-Hans/au-*.html")
    assert plain.locator("h1").is_visible()
    assert browser.errors == []
