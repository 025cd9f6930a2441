"""The shape of the content files: pydantic models validated on load.

Every user-facing text is a `Text`: one string per locale, all locales required. Facts are
traceable: sources live in a registry per file and steps, items, phones and procedures name
them by id, so the check can tell which statement rests on which page and how firm it is.
"""

from __future__ import annotations

import re
from datetime import date
from functools import cached_property
from typing import Annotated, Any, Literal, get_args

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    RootModel,
    model_validator,
)

Locale = Literal["zh-Hans", "en", "ja", "zh-Hant", "vi", "ko"]
LOCALES: tuple[Locale, ...] = get_args(Locale)
# A language being translated starts here (e.g. "th"): accepted wherever a text may carry it, in its own
# ui/<code>.yaml and in glossary rules, never required and not offered to users until every text has it and
# it moves up into `Locale` (`python -m content check` prints how far it is). None is under way right now.
DRAFT_LOCALES: tuple[str, ...] = ()

SimType = Literal["physical", "esim"]
SIM_TYPES: tuple[SimType, ...] = get_args(SimType)

# `post`: a mailed form or returning a device by post; `none`: nothing to cancel (prepaid cards).
Channel = Literal["online", "shop", "phone", "post", "none"]
CHANNELS: tuple[Channel, ...] = get_args(Channel)

ProviderKind = Literal["major", "sub_brand", "mvno", "travel_prepaid", "pocket_wifi"]
PROVIDER_KINDS: tuple[ProviderKind, ...] = get_args(ProviderKind)

SourceKind = Literal["official", "gov", "news", "aggregator", "3rd"]
# A statement resting only on these must be marked `uncertain` (see check.py).
WEAK_SOURCE_KINDS: frozenset[str] = frozenset({"aggregator", "3rd"})

# Where a step or item sits in the order a person acts: prepare, the act itself (or porting), then afterwards.
Phase = Literal["before", "cancel", "after"]
PHASES: tuple[Phase, ...] = get_args(Phase)

Goal = Literal["cancel", "keep_number"]
Stay = Literal["staying", "leaving", "abroad"]

SLUG_RE = re.compile(r"^[a-z0-9][a-z0-9_]*$")
URL_RE = re.compile(r"^https?://[A-Za-z0-9.-]+\.[A-Za-z]{2,}(?::\d+)?(?:/[^\s<>\"]*)?$")
# Japanese numbers as users dial them: short codes (151), domestic with hyphens, or +81 from abroad.
PHONE_RE = re.compile(r"^(?:1\d{2}|0\d{1,4}-\d{2,6}(?:-\d{3,4})?|\+81-\d{1,4}-\d{2,4}-\d{4})$")
PLACEHOLDER_RE = re.compile(r"\{([a-z_]+)(?::([a-z0-9_]+))?\}")


def _slug(value: str) -> str:
    if not SLUG_RE.match(value):
        raise ValueError(f"{value!r} is not an id (lower-case letters, digits and _)")
    return value


def _url(value: str) -> str:
    if not URL_RE.match(value):
        raise ValueError(f"{value!r} is not a well-formed http(s) URL")
    return value


def _phone(value: str) -> str:
    if not PHONE_RE.match(value):
        raise ValueError(
            f"{value!r} is not a phone number as dialled in Japan (e.g. 0120-800-000, 151, +81-3-1234-5678)"
        )
    return value


def _known_locale(value: str) -> str:
    if value not in LOCALES and value not in DRAFT_LOCALES:
        raise ValueError(f"unknown locale {value!r}; expected one of {', '.join((*LOCALES, *DRAFT_LOCALES))}")
    return value


def _as_list(value: Any) -> Any:
    return [value] if isinstance(value, str) else value


Slug = Annotated[str, AfterValidator(_slug)]
Url = Annotated[str, AfterValidator(_url)]
PhoneNumber = Annotated[str, AfterValidator(_phone)]
SourceRefs = Annotated[list[Slug], Field(min_length=1)]
# Any locale a text may carry: a required one or one being translated (checked when the file is read).
AnyLocale = Annotated[str, AfterValidator(_known_locale)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Text(RootModel[dict[str, str]]):
    """One string per locale; a missing or empty translation is an error naming the locale."""

    model_config = ConfigDict(frozen=True)

    @model_validator(mode="after")
    def _all_locales(self) -> Text:
        unknown = sorted(set(self.root) - set(LOCALES) - set(DRAFT_LOCALES))
        if unknown:
            drafts = f" (and, while being translated, {', '.join(DRAFT_LOCALES)})" if DRAFT_LOCALES else ""
            raise ValueError(f"unknown locale(s) {', '.join(unknown)}; expected {', '.join(LOCALES)}{drafts}")
        missing = [loc for loc in LOCALES if not (self.root.get(loc) or "").strip()]
        if missing:
            raise ValueError(f"missing translation(s): {', '.join(missing)}")
        empty = [loc for loc in DRAFT_LOCALES if loc in self.root and not (self.root[loc] or "").strip()]
        if empty:
            raise ValueError(f"empty translation(s): {', '.join(empty)} (leave the key out until it is written)")
        return self

    def locales(self) -> list[str]:
        """The required locales, then the draft locales this text already has."""
        return [*LOCALES, *(loc for loc in DRAFT_LOCALES if loc in self.root)]

    def __getitem__(self, locale: str) -> str:
        return self.root[locale]

    def placeholders(self, locale: str) -> set[tuple[str, str | None]]:
        return {(m.group(1), m.group(2)) for m in PLACEHOLDER_RE.finditer(self.root[locale])}


class Source(Strict):
    url: Url
    kind: SourceKind
    # The page's own date as shown, free form ("2021-03", "no date"); YAML dates are kept as text.
    published: Annotated[str, BeforeValidator(str)] | None = None
    checked_on: date


class Link(Strict):
    """A page users may open; shown as a link, so it is its own source."""

    url: Url
    label: Text
    official: bool = True  # the provider's (or its parent company's) own page; false for anything else


class Phone(Strict):
    number: PhoneNumber
    label: Text
    hours: Text | None = None
    sources: SourceRefs
    uncertain: bool = False


class When(Strict):
    """A branch: the step is shown only when every given answer matches one of the listed values."""

    sim: Annotated[list[SimType], BeforeValidator(_as_list)] | None = None
    goal: Annotated[list[Goal], BeforeValidator(_as_list)] | None = None
    stay: Annotated[list[Stay], BeforeValidator(_as_list)] | None = None

    def questions(self) -> set[str]:
        return {name for name in ("goal", "stay") if getattr(self, name) is not None}

    def matches(self, answers: dict[str, str]) -> bool:
        for name in ("sim", "goal", "stay"):
            allowed = getattr(self, name)
            if allowed is not None and answers.get(name) not in allowed:
                return False
        return True


DUE_DAYS_RE = re.compile(r"^(\d{1,3})d$")
MAX_DUE_DAYS = 120
# What a timing counts from: the departure date, or the day the line is cancelled (itself set by `cancel_due`).
DueAnchor = Literal["before_departure", "on_departure", "after_departure", "after_cancel"]
DUE_ANCHORS: tuple[DueAnchor, ...] = get_args(DueAnchor)


def _days(value: Any) -> Any:
    """`14d` (or a bare number of days) as an int."""
    if isinstance(value, str) and (match := DUE_DAYS_RE.match(value.strip())):
        return int(match.group(1))
    return value


Days = Annotated[int, BeforeValidator(_days), Field(ge=0, le=MAX_DUE_DAYS)]


class Due(Strict):
    """When something should be done, relative to the departure or to the cancellation: exactly one of
    `before_departure: 14d`, `on_departure: 0d`, `after_departure: 7d`, `after_cancel: 45d`."""

    before_departure: Days | None = None
    on_departure: Days | None = None
    after_departure: Days | None = None
    after_cancel: Days | None = None

    @model_validator(mode="after")
    def _one_anchor(self) -> Due:
        given = [a for a in DUE_ANCHORS if getattr(self, a) is not None]
        if len(given) != 1:
            raise ValueError(f"give exactly one of {', '.join(DUE_ANCHORS)} (e.g. before_departure: 14d)")
        if self.on_departure not in (None, 0):
            raise ValueError("on_departure takes 0d (use before_departure or after_departure for other days)")
        return self

    @property
    def anchor(self) -> DueAnchor:
        return next(a for a in DUE_ANCHORS if getattr(self, a) is not None)

    def offset_from_departure(self, cancel: int) -> int:
        """Days from the departure date (negative: before it), given the cancellation's own offset."""
        days = int(getattr(self, self.anchor))
        return {"before_departure": -days, "on_departure": 0, "after_departure": days}.get(self.anchor, cancel + days)


class Step(Strict):
    id: Slug
    text: Text
    sources: SourceRefs
    when: When | None = None
    phase: Phase
    # Only on cancel-phase steps: when the act itself is due (else the catalogue's `cancel_due`).
    due: Due | None = None
    # The fact rests on weak or conflicting sources: the bot says so and links the official page.
    uncertain: bool = False

    def applies(self, answers: dict[str, str]) -> bool:
        return self.when is None or self.when.matches(answers)


class ItemUse(Strict):
    """An outstanding item attached to a procedure, optionally only for some answers (e.g. eSIM only)."""

    id: Slug
    when: When | None = None


def _item_use(value: Any) -> Any:
    return {"id": value} if isinstance(value, str) else value


class Procedure(Strict):
    id: Slug
    channel: Channel
    sim_types: Annotated[list[SimType], Field(min_length=1)]
    title: Text
    summary: Text
    official_link: Slug  # id of a provider link: the carrier's own page for this procedure
    sources: SourceRefs
    checked_on: date
    items: list[Annotated[ItemUse, BeforeValidator(_item_use)]] = Field(default_factory=list)
    steps: Annotated[list[Step], Field(min_length=1)]

    @cached_property
    def questions(self) -> tuple[str, ...]:
        """The branch questions this procedure asks, in a fixed order. Cached: the content never changes once
        loaded, and every tap asks (1.3% of the bot's CPU under load)."""
        asked = set().union(*(s.when.questions() for s in self.steps if s.when))
        return tuple(q for q in ("goal", "stay") if q in asked)

    def steps_for(self, answers: dict[str, str]) -> list[Step]:
        return [s for s in self.steps if s.applies(answers)]

    def items_for(self, answers: dict[str, str]) -> list[str]:
        return [i.id for i in self.items if i.when is None or i.when.matches(answers)]

    def cancel_due(self, answers: dict[str, str], default: Due) -> Due:
        """When the cancellation is due on this path: its first cancel step's own timing, else the default."""
        return next((s.due for s in self.steps_for(answers) if s.phase == "cancel" and s.due), default)


class Provider(Strict):
    id: Slug
    kind: ProviderKind
    parent: Slug | None = None
    name: Text
    order: int = 100  # position within its kind's group in the provider menu
    keywords: list[str] = Field(default_factory=list)  # matched in free text and inline queries
    channels: dict[SimType, list[Channel]]  # what the provider really offers, per SIM type
    official_link: Slug
    note: Text | None = None
    sources: dict[Slug, Source] = Field(min_length=1)
    provider_sources: SourceRefs
    checked_on: date
    links: dict[Slug, Link] = Field(min_length=1)
    phones: dict[Slug, Phone] = Field(default_factory=dict)
    procedures: Annotated[list[Procedure], Field(min_length=1)]

    def sim_types(self) -> list[SimType]:
        return [s for s in SIM_TYPES if s in self.channels]

    def channels_for(self, sim: str) -> list[Channel]:
        offered = next((chans for s, chans in self.channels.items() if s == sim), [])
        return [c for c in CHANNELS if c in offered]

    def procedure_for(self, sim: str, channel: str) -> Procedure | None:
        for proc in self.procedures:
            if proc.channel == channel and sim in proc.sim_types:
                return proc
        return None

    def procedure(self, procedure_id: str) -> Procedure | None:
        return next((p for p in self.procedures if p.id == procedure_id), None)


class Item(Strict):
    title: Text
    detail: Text
    sources: SourceRefs
    phase: Phase
    # An automatic follow-up reminder this many days after the procedure is chosen (None: only on request).
    follow_up_days: Annotated[int, Field(ge=1, le=90)] | None = None
    # Where the item sits in the departure plan (/plan, its reminders and the calendar export).
    due: Due


class Term(Strict):
    """One glossary entry: the form each locale uses, the variants it must not use, and where it is glossed."""

    text: Text
    # Variants flagged in that locale's texts (outside 「…」, where Japanese screen labels are quoted as shown).
    forbidden: dict[AnyLocale, list[str]] = Field(default_factory=dict)
    # In these locales the first use of the Japanese form in a text must sit inside this locale's form,
    # e.g. en "d ACCOUNT (dアカウント)": a reader meets the Japanese term together with its meaning.
    glossed: list[AnyLocale] = Field(default_factory=list)


class Glossary(Strict):
    terms: dict[Slug, Term] = Field(min_length=1)


class ItemCatalogue(Strict):
    # When the cancellation itself is due unless a procedure's cancel step says otherwise: a few days before
    # leaving, while the line still receives SMS codes and the residence card is still in hand.
    cancel_due: Due
    sources: dict[Slug, Source] = Field(min_length=1)
    items: dict[Slug, Item] = Field(min_length=1)
