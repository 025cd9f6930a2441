"""Which answers the bot asks for and accepts, as pure functions of the content: the questions in order, the
options each offers given the earlier answers, and every selection a user can reach. The chat flow
(conversations/flow.py) and the static site (content/site/) both build on these, so they never disagree.
"""

from __future__ import annotations

from collections.abc import Iterator

from content.loader import Content
from content.schema import Procedure, Provider

QUESTIONS: tuple[str, ...] = ("provider", "sim", "channel", "goal", "stay")
BRANCH_QUESTIONS: tuple[str, ...] = ("goal", "stay")
GOALS = ("cancel", "keep_number")
STAYS = ("staying", "leaving", "abroad")


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
        return list(GOALS) if "goal" in proc.questions else []
    if question == "stay":
        return list(STAYS) if "stay" in proc.questions and _stay_matters(proc, sel) else []
    raise ValueError(f"unknown question {question!r}")


def next_branch_question(content: Content, sel: dict[str, str]) -> str | None:
    """The branch question the bot asks next for a chosen procedure; None once the steps can be shown."""
    return next((q for q in BRANCH_QUESTIONS if q not in sel and options(content, sel, q)), None)


def reachable(content: Content) -> Iterator[dict[str, str]]:
    """Every selection a deep link can name: each provider × SIM type × channel, then each branch answer
    in turn (a selection that still has a branch question open is where the bot asks it)."""

    def branches(sel: dict[str, str]) -> Iterator[dict[str, str]]:
        yield sel
        question = next_branch_question(content, sel)
        if question is not None:
            for answer in options(content, sel, question):
                yield from branches({**sel, question: answer})

    for provider in content.providers.values():
        for sim in provider.sim_types():
            for channel in provider.channels_for(sim):
                yield from branches({"provider": provider.id, "sim": sim, "channel": channel})
