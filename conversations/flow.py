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
from content.schema import Procedure, Provider
from conversations.states import State

QUESTIONS: tuple[str, ...] = ("provider", "sim", "channel", "goal", "stay")
GOALS = ("cancel", "keep_number")
STAYS = ("staying", "leaving", "abroad")
FLOW_KEYS = ("sel", "asked", "view", "step", "done")


def provider_of(content: Content, sel: dict[str, str]) -> Provider | None:
    return content.providers.get(sel.get("provider", ""))


def procedure_of(content: Content, sel: dict[str, str]) -> Procedure | None:
    provider = provider_of(content, sel)
    if provider is None or "sim" not in sel or "channel" not in sel:
        return None
    return provider.procedure_for(sel["sim"], sel["channel"])


def _stay_matters(proc: Procedure, sel: dict[str, str]) -> bool:
    """Whether any step still possible with the answers so far depends on where the user is."""
    for step in proc.steps:
        when = step.when
        if when is None or when.stay is None:
            continue
        if when.sim is not None and sel.get("sim") not in when.sim:
            continue
        if when.goal is not None and sel.get("goal") not in when.goal:
            continue
        return True
    return False


def options(content: Content, sel: dict[str, str], question: str) -> list[str]:
    """The answers a question offers given the earlier answers; empty when it does not apply."""
    provider = provider_of(content, sel)
    if question == "provider":
        return list(content.providers)
    if provider is None:
        return []
    if question == "sim":
        return list(provider.sim_types())
    if question == "channel":
        return list(provider.channels_for(sel.get("sim", "")))
    proc = procedure_of(content, sel)
    if proc is None:
        return []
    if question == "goal":
        return list(GOALS) if "goal" in proc.questions() else []
    if question == "stay":
        return list(STAYS) if "stay" in proc.questions() and _stay_matters(proc, sel) else []
    raise ValueError(f"unknown question {question!r}")


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
