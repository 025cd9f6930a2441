"""The static site: a page for everything the bot can show, in every locale, valid HTML5, working links."""

from __future__ import annotations

import copy
import io
import posixpath
import threading
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urldefrag, urlsplit
from xml.etree.ElementTree import Element

import html5lib
import pytest
import yaml

from bot.demo import DEMO_USERNAME, demo_site
from bot.settings import Settings
from content import LOCALES, Content, load_content
from content.__main__ import main as content_main
from content.deeplinks import decode, encode
from content.site.build import SiteReport, build_site
from content.site.serve import site_server
from content.site.settings import SiteSettings
from conversations import flow
from conversations.states import State
from tests.harness import shared_content

BOT = "jpsim_test_bot"


@dataclass
class Site:
    root: Path
    report: SiteReport
    trees: dict[str, Element]  # every HTML file, parsed: path relative to the root -> document


def parse(data: bytes) -> Element:
    """html5lib in strict mode: any parse error (bad nesting, stray end tag, bad character) raises."""
    document: Element = html5lib.HTMLParser(strict=True, namespaceHTMLElements=False).parse(data)
    return document


def build(content: Content, root: Path, **options: Any) -> Site:
    report = build_site(content, root, bot_username=BOT, **options)
    files = sorted(p for p in root.rglob("*") if p.is_file())
    trees = {p.relative_to(root).as_posix(): parse(p.read_bytes()) for p in files}
    return Site(root, report, trees)


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Site:
    return build(shared_content(), tmp_path_factory.mktemp("site"))


def bot_selections(content: Content) -> dict[str, bool]:
    """Every selection the bot can show once a procedure is chosen, found by pressing every button the bot
    offers (its own flow: single options are filled in, branch questions asked only where steps differ).
    Payload -> whether the bot shows the steps there (else it asks a branch question)."""
    found: dict[str, bool] = {}

    def walk(ud: dict[str, Any]) -> None:
        state = flow.advance(content, ud)
        sel = flow.answers(ud)
        if "channel" in sel:
            found[encode(sel)] = state is State.STEPS
        if state is State.STEPS:
            return
        for option in flow.options(content, sel, state.value):
            child = copy.deepcopy(ud)
            flow.answer(child, state.value, option)
            walk(child)

    walk({})
    return found


def text_of(element: Element | None) -> str:
    return "".join(element.itertext()).strip() if element is not None else ""


def by_class(tree: Element, tag: str, cls: str) -> list[Element]:
    return [e for e in tree.iter(tag) if cls in (e.get("class") or "").split()]


def by_id(tree: Element, id_: str) -> Element | None:
    return next((e for e in tree.iter() if e.get("id") == id_), None)


def meta(tree: Element, prop: str) -> str | None:
    found = [m.get("content") for m in tree.iter("meta") if prop in (m.get("property"), m.get("name"))]
    return found[0] if found else None


def procedure_pages(site: Site) -> Iterator[tuple[str, str, Element]]:
    for path, tree in site.trees.items():
        locale, _, name = path.partition("/")
        if name and name != "index.html":
            yield locale, name.removesuffix(".html"), tree


def test_every_selection_the_bot_can_show_has_its_page_in_every_locale_and_nothing_else(site: Site) -> None:
    content = shared_content()
    expected = bot_selections(content)
    assert len(expected) > 200  # 27 procedures with their goal/stay branches
    pages = {f"{loc}/{payload}.html" for loc in LOCALES for payload in expected}
    indexes = {f"{loc}/index.html" for loc in LOCALES}
    assert set(site.trees) == pages | indexes | {"index.html"}
    assert site.report.pages == len(site.trees)


def test_a_finished_selection_shows_the_bots_steps_items_and_official_page(site: Site) -> None:
    content = shared_content()
    shows_steps = bot_selections(content)
    leaves = 0
    for locale, payload, tree in procedure_pages(site):
        sel = decode(payload, content)
        assert sel is not None, payload
        proc = flow.procedure_of(content, sel)
        provider = flow.provider_of(content, sel)
        assert proc is not None
        assert provider is not None
        assert text_of(tree.find(".//h1")) == proc.title[locale]
        official = provider.links[proc.official_link]
        assert official.url in [a.get("href") for a in tree.iter("a")], payload
        steps = by_id(tree, "steps")
        if not shows_steps[payload]:
            assert steps is None, f"{payload}: a question is still open"
            assert by_class(tree, "section", "question"), payload
            continue
        leaves += 1
        assert steps is not None, payload
        shown = [li for li in steps.iter("li")]
        assert [li.get("id") for li in shown] == [f"step-{s.id}" for s in proc.steps_for(sel)]
        assert [li.get("data-n") for li in shown] == [str(n) for n in range(1, len(shown) + 1)]
        uncertain = [s.uncertain for s in proc.steps_for(sel)]
        assert [bool(by_class(li, "p", "uncertain")) for li in shown] == uncertain
        checklist = by_id(tree, "checklist")
        assert checklist is not None
        boxes = [i.get("name") for i in checklist.iter("input") if i.get("type") == "checkbox"]
        # The bot's summary order: grouped by phase, the procedure's order within each phase.
        assert boxes == [item for _, ids in content.items_by_phase(proc.items_for(sel)) for item in ids]
        assert proc.checked_on.isoformat() in text_of(tree.find(".//main"))
    assert leaves > 100


def test_every_page_is_strict_html5_with_lang_title_and_a_preview_card(site: Site) -> None:
    for path, tree in site.trees.items():  # the fixture parsed each one strictly
        assert tree.get("lang") in LOCALES, path
        title = text_of(tree.find(".//head/title"))
        assert title, path
        assert meta(tree, "og:title") == title, path
        assert meta(tree, "og:description"), path
        assert meta(tree, "description") == meta(tree, "og:description"), path
        if path != "index.html":
            assert path.startswith(tree.get("lang", "") + "/"), path


def test_no_internal_link_is_broken_and_nothing_external_is_loaded(site: Site) -> None:
    checked = 0
    for path, tree in site.trees.items():
        for element in tree.iter():
            href = element.get("href")
            if element.tag in ("script", "img", "iframe", "source", "video", "audio", "object", "embed"):
                assert element.tag == "script", f"{path}: loads {element.tag}"
                assert element.get("src") is None, f"{path}: loads a script"
            if element.tag == "link":
                assert element.get("rel") in ("canonical", "alternate"), f"{path}: loads {element.get('rel')}"
            if href is None or urlsplit(href).scheme in ("http", "https", "tel"):
                continue
            target, fragment = urldefrag(href)
            normal = posixpath.normpath(posixpath.join(posixpath.dirname(path), target)) if target else path
            assert normal in site.trees, f"{path}: broken link {href}"
            if fragment:
                assert by_id(site.trees[normal], fragment) is not None, f"{path}: no #{fragment} in {normal}"
            checked += 1
        for style in tree.iter("style"):
            assert "url(" not in (style.text or ""), path
            assert "@import" not in (style.text or ""), path
    assert checked > 10_000


def test_the_deep_link_on_each_page_opens_that_pages_selection_in_the_bot(site: Site) -> None:
    content = shared_content()
    for locale, payload, tree in procedure_pages(site):
        buttons = by_class(tree, "a", "button")
        assert len(buttons) == 1, payload
        url = urlsplit(buttons[0].get("href", ""))
        assert (url.scheme, url.netloc, url.path) == ("https", "t.me", f"/{BOT}")
        start = parse_qs(url.query)["start"]
        assert decode(start[0], content) == decode(payload, content) is not None
        assert text_of(buttons[0]) == content.text("web_open_in_app", locale, app="Telegram")


def test_language_switcher_and_index_reach_every_locale_and_procedure(site: Site) -> None:
    content = shared_content()
    for locale in LOCALES:
        index = site.trees[f"{locale}/index.html"]
        linked = {a.get("href") for a in index.iter("a")}
        for provider in content.providers.values():
            section = by_id(index, provider.id)
            assert section is not None
            assert text_of(section.find(".//h3")) == provider.name[locale]
        # Grouped as in the bot's menu: the same kinds, in the same order, each with its providers.
        headings = [text_of(h) for h in index.iter("h2")]
        assert headings == [content.text(f"group_{kind}", locale) for kind, _ in content.grouped_providers()]
        for other in LOCALES:
            assert (f"../{other}/index.html" in linked) == (other != locale)
    page = site.trees["ja/docomo-e-on-cl.html"]
    nav = by_class(page, "nav", "langs")[0]
    assert {a.get("href") for a in nav.iter("a")} == {f"../{loc}/docomo-e-on-cl.html" for loc in LOCALES if loc != "ja"}


def test_pages_stay_light(site: Site) -> None:
    assert site.report.largest_bytes < 60 * 1024, site.report
    sizes = {p: (site.root / p).stat().st_size for p in site.trees}
    assert max(sizes.values()) == site.report.largest_bytes
    print(f"\n{site.report.pages} pages, largest {site.report.largest} ({site.report.largest_bytes / 1024:.1f} KiB)")


def test_steps_are_grouped_by_phase_in_the_bots_order(tmp_path: Path) -> None:
    content = load_content()
    sel = {"provider": "docomo", "sim": "esim", "channel": "online", "goal": "cancel", "stay": "leaving"}
    proc = flow.procedure_of(content, sel)
    assert proc is not None
    steps_shown = proc.steps_for(sel)
    runs = [
        phase for n, phase in enumerate(s.phase for s in steps_shown) if n == 0 or steps_shown[n - 1].phase != phase
    ]
    assert runs == ["before", "cancel", "after"]  # the example must exercise every heading
    starts = [str(n + 1) for n, s in enumerate(steps_shown) if n == 0 or steps_shown[n - 1].phase != s.phase]
    site = build(content, tmp_path / "site")
    for locale in LOCALES:
        steps = by_id(site.trees[f"{locale}/docomo-e-on-cl.html"], "steps")
        assert steps is not None
        headings = [text_of(h) for h in by_class(steps, "h3", "phase")]
        assert headings == [content.text(f"phase_{p}", locale) for p in runs]
        assert [ol.get("start") for ol in steps.iter("ol")] == starts
        assert [li.get("id") for li in steps.iter("li")] == [f"step-{s.id}" for s in steps_shown]


def test_the_checklist_groups_items_by_phase_as_the_bots_summary_does(site: Site) -> None:
    """au online lists a leaver's "before" item after its "after" items: still one heading per phase, in phase
    order."""
    content = shared_content()
    sel = {"provider": "au", "sim": "physical", "channel": "online", "goal": "cancel", "stay": "leaving"}
    proc = flow.procedure_of(content, sel)
    assert proc is not None
    groups = content.items_by_phase(proc.items_for(sel))
    for locale in LOCALES:
        checklist = by_id(site.trees[f"{locale}/{encode(sel)}.html"], "checklist")
        assert checklist is not None
        headings = [text_of(h) for h in by_class(checklist, "h3", "phase")]
        assert headings == [content.text(f"phase_{phase}", locale) for phase, _ in groups]
        boxes = [i.get("name") for i in checklist.iter("input")]
        assert boxes == [item for _, ids in groups for item in ids]


def content_link(provider_data: dict[str, Any], link_id: str) -> tuple[str, str]:
    link = provider_data["links"][link_id]
    return link["label"]["en"], link["url"]


def test_content_text_is_escaped_not_markup(content_tree: Path, tmp_path: Path) -> None:
    path = content_tree / "providers" / "docomo.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["procedures"][0]["title"]["en"] = '<script>alert("x")</script> & "quotes"'
    summary = data["procedures"][0]["summary"]
    for locale in summary:  # every locale the text has must carry the same placeholders
        summary[locale] = "See {link:cancel_page} & <b>this</b>."
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    site = build(load_content(content_tree), tmp_path / "site")
    tree = site.trees["en/docomo-p-on-cl.html"]
    assert text_of(tree.find(".//h1")) == '<script>alert("x")</script> & "quotes"'
    assert (meta(tree, "og:title") or "").startswith('<script>alert("x")</script>')
    assert not [s for s in tree.iter("script")]
    # A declared link becomes a link in the page and its label in the preview card.
    label, url = content_link(data, "cancel_page")
    assert meta(tree, "og:description") == f"See {label} & <b>this</b>."
    summary = by_class(tree, "p", "summary")[0]
    assert [(a.get("href"), text_of(a)) for a in summary.iter("a")] == [(url, label)]


def test_canonical_and_og_url_only_with_a_base_url(content_tree: Path, tmp_path: Path) -> None:
    content = load_content(content_tree)
    with_base = build(content, tmp_path / "a", base_url="https://jpsim.example.org").trees["ja/docomo-e-sh.html"]
    assert meta(with_base, "og:url") == "https://jpsim.example.org/ja/docomo-e-sh.html"
    without = build(content, tmp_path / "b").trees["ja/docomo-e-sh.html"]
    assert meta(without, "og:url") is None
    assert not [link for link in without.iter("link") if link.get("rel") == "canonical"]


def test_cli_builds_with_username_and_base_url_from_arguments_or_settings(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # no stray .env
    monkeypatch.setenv("BOT_USERNAME", "@from_env_bot")
    monkeypatch.setenv("BOT_WEB_BASE_URL", "https://env.example.org/")
    assert content_main(["site", str(tmp_path / "env")]) == 0
    page = (tmp_path / "env" / "en" / "au-e-on.html").read_text(encoding="utf-8")
    assert "https://t.me/from_env_bot?start=au-e-on" in page
    assert 'content="https://env.example.org/en/au-e-on.html"' in page
    assert (
        content_main(["site", str(tmp_path / "arg"), "--bot-username", "other_bot", "--base-url", "http://x.org"]) == 0
    )
    page = (tmp_path / "arg" / "en" / "au-e-on.html").read_text(encoding="utf-8")
    assert "https://t.me/other_bot?start=au-e-on" in page
    assert "http://x.org/en/au-e-on.html" in page
    assert "pages" in capsys.readouterr().out
    assert content_main(["site", str(tmp_path / "bad"), "--bot-username", "no way"]) == 2
    assert "BOT_USERNAME" in capsys.readouterr().err
    assert not (tmp_path / "bad").exists()


@pytest.mark.parametrize(
    ("value", "ok"),
    [("jpsim_bot", True), ("@JpSim_Bot", True), ("ab", False), ("1abcdef", False), ("a b c d e", False)],
)
def test_site_settings_check_the_username(value: str, ok: bool) -> None:
    if ok:
        assert SiteSettings(_env_file=None, bot_username=value).bot_username == value.removeprefix("@")  # type: ignore[call-arg]
    else:
        with pytest.raises(ValueError, match="Telegram username"):
            SiteSettings(_env_file=None, bot_username=value)  # type: ignore[call-arg]


def test_preview_server_serves_the_built_site(site: Site) -> None:
    server = site_server(site.root, port=0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        port = server.server_address[1]
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/en/docomo-e-on.html") as response:
            assert response.status == 200
            assert parse(response.read()).get("lang") == "en"
    finally:
        server.shutdown()
        server.server_close()


def test_the_offline_demo_serves_the_site_its_links_point_to(tmp_path: Path) -> None:
    out = io.StringIO()
    with demo_site(shared_content(), tmp_path / "site", out, port=0) as base:
        assert base is not None
        assert base.startswith("http://127.0.0.1:")
        with urllib.request.urlopen(f"{base}/ja/docomo-e-on-cl.html") as response:
            page = response.read().decode()
        assert f'href="https://t.me/{DEMO_USERNAME}?start=docomo-e-on-cl"' in page
        assert f'content="{base}/ja/docomo-e-on-cl.html"' in page
        port = int(base.rsplit(":", 1)[1])
        with demo_site(shared_content(), tmp_path / "other", out, port=port) as taken:
            assert taken is None  # the demo runs on without web links
        assert f"port {port} is taken" in out.getvalue()


def test_the_bot_reads_bot_web_base_url_as_the_site_does(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("BOT_WEB_BASE_URL", "https://jpsim.example.org/guides/")
    assert Settings().bot_web_base_url == "https://jpsim.example.org/guides"
    monkeypatch.setenv("BOT_WEB_BASE_URL", " ")
    assert Settings().bot_web_base_url is None
    monkeypatch.setenv("BOT_WEB_BASE_URL", "jpsim.example.org")
    with pytest.raises(ValueError, match="http"):
        Settings()
