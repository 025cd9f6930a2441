"""Where a page lives: `<locale>/<deep-link payload>.html`, so a bot link and a web link name the same thing."""

from __future__ import annotations

from content.deeplinks import encode

INDEX = "index.html"


def page_path(locale: str, sel: dict[str, str]) -> str:
    """The page of a selection, relative to the site root."""
    return f"{locale}/{encode(sel)}.html"


def index_path(locale: str) -> str:
    return f"{locale}/{INDEX}"


def web_url(base_url: str, locale: str, sel: dict[str, str]) -> str:
    """The published page's address (base_url as validated by SiteSettings: no trailing slash)."""
    return f"{base_url}/{page_path(locale, sel)}"
