"""Free text to a provider: "docomo esim" or "我要注销软银" jumps straight to the right place."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from content import Content

MAX_MATCH_LENGTH = 300  # longer text is not a carrier name; matching it would only be slow
ESIM_RE = re.compile(r"(?<![a-z0-9])e-?sim(?![a-z0-9])")


def normalize(text: str) -> str:
    return unicodedata.normalize("NFKC", text).casefold()


def _keyword_re(keyword: str) -> re.Pattern[str]:
    kw = re.escape(normalize(keyword))
    # ASCII names need word boundaries ("au" must not match "laura"); CJK names are matched as substrings.
    return re.compile(rf"(?<![a-z0-9]){kw}(?![a-z0-9])" if keyword.isascii() else kw)


@dataclass(frozen=True)
class Match:
    provider_id: str
    sim: str | None


class ProviderMatcher:
    def __init__(self, content: Content) -> None:
        keywords: list[tuple[str, str]] = []
        for provider in content.providers.values():
            names = {provider.id, *provider.keywords, *(provider.name[loc] for loc in provider.name.root)}
            keywords.extend((name, provider.id) for name in names if name.strip())
        # Longest first, so "uq mobile" wins over "au" and "ymobile" over "mobile".
        keywords.sort(key=lambda kv: len(kv[0]), reverse=True)
        self._patterns = [(_keyword_re(name), pid) for name, pid in keywords]

    def match_all(self, text: str) -> list[Match]:
        """Every provider the text names, best (longest name) first."""
        if len(text) > MAX_MATCH_LENGTH:
            return []
        norm = normalize(text)
        sim = "esim" if ESIM_RE.search(norm) else None
        found: list[Match] = []
        for pattern, provider_id in self._patterns:
            if all(m.provider_id != provider_id for m in found) and pattern.search(norm):
                found.append(Match(provider_id, sim))
        return found

    def match(self, text: str) -> Match | None:
        matches = self.match_all(text)
        return matches[0] if matches else None
