"""The flow as pure functions of content and the user's flow record: which question comes next, which
options it has, where Back leads, and which buttons are still live. Handlers only call these and show the
result.

The flow record (one row per user, the only truth about their conversation) holds a few short keys, no
personal data:
  sel    answers so far: provider, sim, channel, goal, stay
  asked  the questions the user really answered on a screen, in order (Back goes to the last one)
  view   what the screen shows: a question name, "steps" or "summary"
  step   index of the step on screen; done: ids of the steps marked done
  flow   the flow's number: a new flow (/start, Start over, a deep link, a typed provider name, /quit) gets
         a new one, so every button of an earlier flow is stale
  awaiting  what typed text answers: the departure date or the place after leaving (conversations/plan.py)
  (plus, kept by the handlers: screen, the live message's id; shown, a counter of flow screens shown;
  locale; picker, the reminder picker on offer)
"""

from __future__ import annotations

import hashlib
from typing import Any

from content import Content

# The questions and their options are pure content logic, shared with the static site.
from content.selection import GOALS as GOALS
from content.selection import QUESTIONS as QUESTIONS
from content.selection import STAYS as STAYS
from content.selection import options as options
from content.selection import procedure_of as procedure_of
from content.selection import provider_of as provider_of
from conversations.callbacks import QUESTION_OF, Action
from conversations.states import State

# awaiting: what typed text answers ("departure": the user is leaving and has not given the date; "abroad":
# where they will be after it); a new flow forgets it.
AWAITING_KEY, AWAITING_DEPARTURE, AWAITING_ABROAD = "awaiting", "departure", "abroad"
FLOW_KEYS = ("sel", "asked", "view", "step", "done", AWAITING_KEY)
# The reminder picker whose time may be typed, until it sets its reminder (kept across flows, like the picker).
TYPED_TIME_KEY = "remind_typed"
FLOW_NO = "flow"


def first_after_provider(content: Content, sel: dict[str, str], question: str) -> bool:
    """Whether `question` is the first one asked once the provider is chosen (where its note is shown)."""
    return all(len(options(content, sel, q)) <= 1 for q in QUESTIONS[1 : QUESTIONS.index(question)])


def answers(ud: dict[str, Any]) -> dict[str, str]:
    sel: dict[str, str] = ud.setdefault("sel", {})
    return sel


def reset(ud: dict[str, Any]) -> None:
    for key in FLOW_KEYS:
        ud.pop(key, None)


def new_flow(ud: dict[str, Any], now: int) -> None:
    """Forget the answers and number a new flow. Numbers rise with the clock's seconds as well as by one, so
    a record erased by /deletemydata and made again does not reuse the number of a flow seen before."""
    reset(ud)
    ud[FLOW_NO] = max(int(ud.get(FLOW_NO, 0)) + 1, now)


def answers_before(sel: dict[str, str], question: str | None) -> dict[str, str]:
    """The answers given before `question` (all of them for None): what a button's meaning depends on."""
    upto = QUESTIONS.index(question) if question is not None else len(QUESTIONS)
    return {q: sel[q] for q in QUESTIONS[:upto] if q in sel}


def token(ud: dict[str, Any], depends_on: str | None = None) -> str:
    """A short screen token for a button: the flow's number and a fingerprint of the answers the button's
    action depends on (those before `depends_on`, or all of them). A button is live while its token matches
    the record, so a screen that lags behind the record (a failed edit) still does what its labels say, and
    only a screen from another flow or another procedure is stale."""
    sel = answers_before(answers(ud), depends_on)
    return f"{base36(int(ud.get(FLOW_NO, 0)))}.{digest(repr(sorted(sel.items())))}"


def depends_on(action: Action, arg: str) -> str | None:
    """The question before which the answers decide what a button means (None: all the answers)."""
    if action in QUESTION_OF:
        return QUESTION_OF[action]
    if action is Action.BACK:
        return arg if arg in QUESTIONS else QUESTIONS[0]
    return None


def digest(value: str) -> str:
    """Six hex digits that tell values apart in callback data (not a security measure: buttons are checked
    against the user's own rows)."""
    return hashlib.blake2s(value.encode(), digest_size=3).hexdigest()


def base36(number: int) -> str:
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    out = ""
    while True:
        number, rest = divmod(number, 36)
        out = digits[rest] + out
        if not number:
            return out


def back_target(ud: dict[str, Any]) -> str:
    """Where Back on the current screen leads: the last question the user answered, else the provider."""
    asked: list[str] = ud.get("asked", [])
    return asked[-1] if asked else QUESTIONS[0]


def forget_from(ud: dict[str, Any], question: str) -> None:
    """Drop an answer and every later one (they may no longer fit)."""
    sel = answers(ud)
    for q in QUESTIONS[QUESTIONS.index(question) :]:
        sel.pop(q, None)
    ud["asked"] = [q for q in ud.get("asked", []) if q in sel]
    ud.pop("step", None)
    ud.pop("done", None)


def answer(ud: dict[str, Any], question: str, value: str) -> None:
    forget_from(ud, question)
    answers(ud)[question] = value
    ud.setdefault("asked", []).append(question)


def apply(content: Content, ud: dict[str, Any], sel: dict[str, str]) -> State:
    """Start the flow with these answers (a deep link), as if the user had tapped them."""
    reset(ud)
    for question in QUESTIONS:
        if question in sel:
            real_question = len(options(content, answers(ud), question)) > 1
            answers(ud)[question] = sel[question]
            if real_question:
                ud.setdefault("asked", []).append(question)
    return advance(content, ud)


def advance(content: Content, ud: dict[str, Any]) -> State:
    """Fill in questions with a single option, stop at the first real question, else show the steps."""
    sel = answers(ud)
    for question in QUESTIONS:
        if question in sel:
            continue
        opts = options(content, sel, question)
        if len(opts) == 1:
            sel[question] = opts[0]
        elif opts:
            ud["view"] = question
            return State(question)
    ud["view"] = State.STEPS.value
    ud.setdefault("step", 0)
    ud.setdefault("done", [])
    return State.STEPS


def back_to(content: Content, ud: dict[str, Any], question: str) -> State:
    """Back to a question (an absolute target, so a second tap of the same Back changes nothing)."""
    forget_from(ud, question)
    return advance(content, ud)


def is_valid(content: Content, ud: dict[str, Any]) -> bool:
    """Whether stored answers still fit the content (content may have changed since they were given)."""
    sel = answers(ud)
    for question in QUESTIONS:
        if question in sel and sel[question] not in options(content, sel, question):
            return False
    if ud.get("view") in (State.STEPS, State.SUMMARY):
        proc = procedure_of(content, sel)
        return proc is not None and 0 <= int(ud.get("step", 0)) < len(proc.steps_for(sel))
    return True


def current_state(ud: dict[str, Any]) -> State:
    return State(ud.get("view", State.PROVIDER.value))
