"""The departure plan: a procedure's items dated around the departure (each item's `due`), with the
cancellation itself and the departure as fixed points. Pure content logic, shared by the chat's /plan, its
reminders and the calendar export."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from itertools import groupby
from typing import Literal

from content.loader import Content
from content.schema import Procedure

EntryKind = Literal["item", "cancel", "departure"]
KIND_ORDER: dict[str, int] = {"item": 1, "cancel": 0, "departure": 2}


@dataclass(frozen=True)
class Entry:
    day: date
    kind: EntryKind
    ref: str  # the item id; the procedure id for the cancellation; "departure"


def cancel_day(content: Content, procedure: Procedure, answers: dict[str, str], departure: date) -> date:
    due = procedure.cancel_due(answers, content.catalogue.cancel_due)
    return departure + timedelta(days=due.offset_from_departure(0))


def entries(
    content: Content, procedure: Procedure, answers: dict[str, str], item_ids: list[str], departure: date
) -> list[Entry]:
    """Every dated entry, by day; on a day the cancellation comes first, then items, then the departure."""
    cancel = cancel_day(content, procedure, answers, departure)
    offset = (cancel - departure).days
    dated = [Entry(cancel, "cancel", procedure.id), Entry(departure, "departure", "departure")]
    for item_id in item_ids:
        item = content.catalogue.items.get(item_id)
        if item is not None:
            dated.append(Entry(departure + timedelta(days=item.due.offset_from_departure(offset)), "item", item_id))
    order = {item_id: i for i, item_id in enumerate(item_ids)}
    return sorted(dated, key=lambda e: (e.day, KIND_ORDER[e.kind], order.get(e.ref, 0)))


def by_day(dated: list[Entry]) -> list[tuple[date, list[Entry]]]:
    return [(day, list(group)) for day, group in groupby(dated, key=lambda e: e.day)]
