"""Render the static site: an index per locale and a page per reachable selection, with Jinja2 templates.

Each page carries its CSS inline and fetches nothing, so it can be saved, forwarded or printed as one file.
"""

from __future__ import annotations

import base64
import hashlib
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from content.loader import Content
from content.schema import LOCALES
from content.selection import reachable
from content.site.pages import Choice, IndexPage, Page, index_page, procedure_page, relative, ui_segments
from content.site.paths import INDEX, index_path

TEMPLATES = Path(__file__).parent / "templates"
# A brand name, the same in every language, so not a translation; content files never name it
# (tests/test_content_facts.py keeps messenger links and handles copied from blogs out of them).
MESSENGER = "Telegram"
ROOT_PAGE = INDEX


@dataclass(frozen=True)
class RootEntry:
    locale: str
    href: str
    language: str
    site_name: str
    footer: str


@dataclass(frozen=True)
class SiteReport:
    pages: int  # HTML files written
    largest: str  # path of the biggest one, relative to the site root
    largest_bytes: int  # its size: HTML with its inline CSS (and script), everything the page loads
    total_bytes: int


def environment() -> Environment:
    return Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=True),
        undefined=StrictUndefined,  # a misspelt field fails the build instead of rendering empty
        trim_blocks=True,
        lstrip_blocks=True,
    )


def _csp_hash(env: Environment, template: str) -> str:
    """The Content-Security-Policy source that allows exactly this inline script and no other."""
    digest = hashlib.sha256(env.get_template(template).render().encode()).digest()
    return f"'sha256-{base64.b64encode(digest).decode()}'"


class SiteRenderer:
    def __init__(self, content: Content, *, bot_username: str, base_url: str | None = None) -> None:
        self.content, self.bot_username, self.base_url = content, bot_username, base_url
        self.env = environment()
        self.filter_src = _csp_hash(self.env, "filter.js")

    def _render(self, template: str, locale: str, **values: Any) -> str:
        def t(key: str, **fields: object) -> str:
            return self.content.text(key, locale, **fields)

        return self.env.get_template(template).render(locale=locale, t=t, **values)

    def procedure(self, page: Page) -> str:
        official_line = ui_segments(self.content, "official_line", page.locale, page.official)
        return self._render(
            "procedure.html",
            page.locale,
            page=page,
            title=page.title,
            description=page.description,
            canonical=page.canonical,
            languages=page.languages,
            home_href=relative(page.path, index_path(page.locale)),
            official_line=official_line,
            messenger=MESSENGER,
            script_src="'none'",
        )

    def index(self, page: IndexPage) -> str:
        return self._render(
            "index.html",
            page.locale,
            page=page,
            title=self.content.text("web_site_name", page.locale),
            description=self.content.text("web_index_description", page.locale),
            canonical=f"{self.base_url}/{page.path}" if self.base_url else None,
            languages=page.languages,
            home_href=INDEX,
            script_src=self.filter_src,
        )

    def root(self) -> str:
        """The site root: each language's index, named in that language."""
        text = self.content.text
        entries = [
            RootEntry(
                loc, index_path(loc), text("language_name", loc), text("web_site_name", loc), text("web_footer", loc)
            )
            for loc in LOCALES
        ]
        return self._render(
            "root.html",
            LOCALES[0],
            entries=entries,
            title=" / ".join(e.site_name for e in entries),
            description=" / ".join(text("web_index_description", loc) for loc in LOCALES),
            canonical=f"{self.base_url}/" if self.base_url else None,
            languages=[Choice(e.language, e.href, e.locale) for e in entries],
            home_href=ROOT_PAGE,
            script_src="'none'",
        )

    def pages(self) -> dict[str, str]:
        """Every file of the site: path relative to the root -> HTML."""
        out = {ROOT_PAGE: self.root()}
        selections = list(reachable(self.content))
        for locale in LOCALES:
            index = index_page(self.content, locale)
            out[index.path] = self.index(index)
            for sel in selections:
                page = procedure_page(self.content, sel, locale, bot_username=self.bot_username, base_url=self.base_url)
                out[page.path] = self.procedure(page)
        return out


def build_site(content: Content, out_dir: Path, *, bot_username: str, base_url: str | None = None) -> SiteReport:
    """Write the whole site into `out_dir`, replacing the locale folders a previous build left there."""
    files = SiteRenderer(content, bot_username=bot_username, base_url=base_url).pages()
    out_dir.mkdir(parents=True, exist_ok=True)
    for locale in LOCALES:
        shutil.rmtree(out_dir / locale, ignore_errors=True)
    sizes: dict[str, int] = {}
    for path, html in files.items():
        target = out_dir / path
        target.parent.mkdir(parents=True, exist_ok=True)
        data = html.encode("utf-8")
        target.write_bytes(data)
        sizes[path] = len(data)
    largest = max(sizes, key=lambda p: sizes[p])
    return SiteReport(len(sizes), largest, sizes[largest], sum(sizes.values()))
