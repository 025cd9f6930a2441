"""Deep-link payloads for procedures: `<provider>-<sim>-<channel>[-<goal><stay>]`, built from ids, never
positions, so they keep working when content is reordered. Example: `docomo-e-on-cl` (docomo, eSIM, online,
cancel, leaving Japan). Letters, digits, `_` and `-` only, well under Telegram's 64 characters. The bot's
`/start` links and the static site's page paths both use them, so a bot link and a web link name the same thing.
"""

from __future__ import annotations

import re

from content.loader import Content
from content.selection import QUESTIONS, options

SIMS = {"physical": "p", "esim": "e"}
CHANNELS = {"online": "on", "shop": "sh", "phone": "ph", "post": "po", "none": "no"}
GOALS = {"cancel": "c", "keep_number": "k"}
STAYS = {"staying": "s", "leaving": "l", "abroad": "a"}
PAYLOAD_RE = re.compile(r"^([a-z0-9_]{1,30})-([pe])-([a-z]{2})(?:-([ck]?)([sla]?))?$")
MAX_PAYLOAD = 64


def _invert(table: dict[str, str]) -> dict[str, str]:
    return {v: k for k, v in table.items()}


def encode(sel: dict[str, str]) -> str:
    payload = f"{sel['provider']}-{SIMS[sel['sim']]}-{CHANNELS[sel['channel']]}"
    branch = GOALS.get(sel.get("goal", ""), "") + STAYS.get(sel.get("stay", ""), "")
    return f"{payload}-{branch}" if branch else payload


def decode(payload: str, content: Content) -> dict[str, str] | None:
    """The answers a payload stands for, if they still fit the content; None for anything else."""
    match = PAYLOAD_RE.match(payload) if len(payload) <= MAX_PAYLOAD else None
    if match is None:
        return None
    provider, sim, channel, goal, stay = match.groups()
    sel = {
        "provider": provider,
        "sim": _invert(SIMS)[sim],
        "channel": _invert(CHANNELS).get(channel, ""),
    }
    if goal:
        sel["goal"] = _invert(GOALS)[goal]
    if stay:
        sel["stay"] = _invert(STAYS)[stay]
    for question in QUESTIONS:
        if question in sel and sel[question] not in options(content, sel, question):
            return None
    return sel
