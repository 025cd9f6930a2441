"""The order a person acts in (before → cancel → after) as screens show it: a heading per phase.

Kept apart from views.py so the step and summary screens only call this function (the grouping of items is
`Content.items_by_phase`, shared with the web pages).
"""

from __future__ import annotations

import html

from content import Content
from content.schema import Phase


def heading(content: Content, phase: Phase, locale: str) -> str:
    """The phase as a bold heading line (HTML)."""
    return f"<b>{html.escape(content.text(f'phase_{phase}', locale), quote=False)}</b>"
