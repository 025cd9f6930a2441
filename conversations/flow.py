"""The flow as pure functions of content and the user's answers: which question comes next, which
options it has, where Back leads. Handlers only call these and show the result.

The user's flow lives in user_data under a few short keys (no personal data):
  sel    answers so far: provider, sim, channel, goal, stay
  asked  the questions the user really answered on a screen, in order (Back pops from it)
  view   what the screen shows: a question name, "steps" or "summary"
  step   index of the step on screen; done: ids of the steps marked done
"""

from __future__ import annotations

from typing import Any

from content import Content

# The questions and their options are pure content logic, shared with the static site.
from content.selection import GOALS as GOALS
from content.selection import QUESTIONS as QUESTIONS
from content.selection import STAYS as STAYS
from content.selection import options as options
from content.selection import procedure_of as procedure_of
from content.selection import provider_of as provider_of
from conversations.states import State

FLOW_KEYS = ("sel", "asked", "view", "step", "done")


def first_after_provider(content: Content, sel: dict[str, str], question: str) -> bool:
    """Whether `question` is the first one asked once the provider is chosen (where its note is shown)."""
    return all(len(options(content, sel, q)) <= 1 for q in QUESTIONS[1 : QUESTIONS.index(question)])


def answers(ud: dict[str, Any]) -> dict[str, str]:
    sel: dict[str, str] = ud.setdefault("sel", {})
    return sel


def reset(ud: dict[str, Any]) -> None:
    for key in FLOW_KEYS:
        ud.pop(key, None)


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


def back(content: Content, ud: dict[str, Any]) -> State:
    """Back from a question or the first step: reopen the last question the user answered."""
    asked: list[str] = ud.get("asked", [])
    if not asked:
        reset(ud)
        return advance(content, ud)
    forget_from(ud, asked[-1])
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
