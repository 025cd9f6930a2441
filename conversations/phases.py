"""The order a person acts in (before → cancel → after) as screens show it: a heading per phase.

Kept apart from views.py so the step and summary screens only call these two functions.
"""

from __future__ import annotations

import html

from content import Content
from content.schema import PHASES, Phase


def heading(content: Content, phase: Phase, locale: str) -> str:
    """The phase as a bold heading line (HTML)."""
    return f"<b>{html.escape(content.text(f'phase_{phase}', locale), quote=False)}</b>"


def group_items(content: Content, item_ids: list[str]) -> list[tuple[Phase, list[str]]]:
    """The items in phase order, each phase with its items in the procedure's order; empty phases left out."""
    groups = [(phase, [i for i in item_ids if content.catalogue.items[i].phase == phase]) for phase in PHASES]
    return [(phase, ids) for phase, ids in groups if ids]
