"""Sharing end to end: deep links, the Share button, inline mode and /share with its QR code."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
import segno
from telegram.helpers import create_deep_linked_url

from bot.standin import SimUser, StandIn
from content import deeplinks
from conversations import flow
from conversations.locale import locale_from_code
from tests.harness import Chat, running_bot, shared_content

pytestmark = pytest.mark.asyncio


def ui(key: str, locale: str = "en", **values: object) -> str:
    return shared_content().text(key, locale, **values)


def every_procedure() -> list[dict[str, str]]:
    """One fully answered selection per provider × SIM type × channel (first option of each branch)."""
    content = shared_content()
    found = []
    for provider in content.providers.values():
        for sim in provider.sim_types():
            for channel in provider.channels_for(sim):
                sel = {"provider": provider.id, "sim": sim, "channel": channel}
                for question in ("goal", "stay"):
                    options = flow.options(content, sel, question)
                    if options:
                        sel[question] = options[-1]
                found.append(sel)
    return found


async def test_a_deep_link_for_every_procedure_lands_on_its_first_step(standin: StandIn, db: Path) -> None:
    content = shared_content()
    async with running_bot(standin, db) as app:
        chat = Chat(standin, app, SimUser(3001, language_code="ja"))
        selections = every_procedure()
        assert len(selections) >= 30
        for sel in selections:
            payload = deeplinks.encode(sel)
            assert len(payload) <= 64
            await chat.send(f"/start {payload}")
            proc = flow.procedure_of(content, sel)
            assert proc is not None
            first = proc.steps_for(sel)[0]
            text = chat.screen["text"]
            assert ui("step_progress", "ja", n=1, total=len(proc.steps_for(sel))) in text, payload
            assert first.text["ja"].split("{")[0][:15] in text, payload
        assert not any(ui("link_invalid", "ja") in m.get("text", "") for m in standin.bot_messages(3001))


async def test_a_partial_link_asks_the_remaining_question(standin: StandIn, db: Path) -> None:
    async with running_bot(standin, db) as app:
        chat = Chat(standin, app, SimUser(3002, language_code="zh-hans"))
        await chat.send("/start docomo-e-on")
        assert ui("ask_goal", "zh-Hans") in chat.screen["text"]
        await chat.click(ui("btn_back", "zh-Hans"))  # Back still works after a deep link
        assert (
            ui("ask_channel", "zh-Hans", provider=shared_content().providers["docomo"].name["zh-Hans"])
            in chat.screen["text"]
        )


@pytest.mark.parametrize(
    "payload",
    ["docomo-x-on", "nosuch-e-on-c", "docomo-e-ph-c", "lightpocket-e-po", "a" * 70, "../../etc", "docomo-e-on-zz"],
)
async def test_tampered_payload_gets_a_friendly_normal_start(standin: StandIn, db: Path, payload: str) -> None:
    async with running_bot(standin, db) as app:
        chat = Chat(standin, app, SimUser(3003, language_code="en"))
        await chat.send(f"/start {payload}")
        texts = [m.get("text", "") for m in standin.bot_messages(3003)]
        assert ui("link_invalid") in texts
        assert ui("ask_provider") in chat.screen["text"]


def _switch_queries(message: dict[str, object]) -> list[str]:
    rows = message.get("reply_markup", {}).get("inline_keyboard", [])  # type: ignore[union-attr]
    return [b["switch_inline_query"] for row in rows for b in row if "switch_inline_query" in b]


async def test_share_button_carries_the_procedure_and_summary_shows_the_link(standin: StandIn, db: Path) -> None:
    async with running_bot(standin, db) as app:
        chat = Chat(standin, app, SimUser(3004, language_code="en"))
        await chat.send("/start au-e-on-cs")
        assert _switch_queries(chat.screen) == ["au-e-on-cs"]
        while ui("btn_next") in " ".join(chat.labels()):
            await chat.click(ui("btn_next"))
        await chat.click(ui("btn_summary"))
        assert _switch_queries(chat.screen) == ["au-e-on-cs"]
        link = create_deep_linked_url(standin.bot_user["username"], "au-e-on-cs")
        assert ui("share_link_line", link=link) in chat.screen["text"]
        # The query the button fills in finds exactly that procedure inline.
        update_id, query_id = standin.push_inline_query(SimUser(3005, language_code="en"), "au-e-on-cs")
        await chat.settle(update_id)
        results = standin.inline_answers[query_id]["results"]
        assert [r["id"] for r in results] == ["au-e-on-cs"]


@pytest.mark.parametrize(
    ("query", "language", "expected"),
    [
        ("docomo esim", "en", {"docomo-e-on", "docomo-e-sh"}),
        ("软银", "zh-hans", {"softbank-p-sh", "softbank-e-sh"}),
        ("ソフトバンク", "ja", {"softbank-p-sh", "softbank-e-sh"}),
        ("楽天モバイル", "ja", {"rakuten-p-on", "rakuten-e-on"}),
        ("travel sim", "en", {"prepaid_data_sim-p-no", "prepaid_data_sim-e-no"}),
        ("旅游卡", "zh-CN", {"prepaid_data_sim-p-no", "prepaid_data_sim-e-no"}),
        ("軟銀", "zh-TW", {"softbank-p-sh", "softbank-e-sh"}),
        ("樂天", "zh-hk", {"rakuten-p-on", "rakuten-e-on"}),
        ("소프트뱅크", "ko", {"softbank-p-sh", "softbank-e-sh"}),
        ("라쿠텐", "ko", {"rakuten-p-on", "rakuten-e-on"}),
        ("rakuten esim", "vi", {"rakuten-e-on"}),
    ],
)
async def test_inline_query_in_every_language(
    standin: StandIn, db: Path, query: str, language: str, expected: set[str]
) -> None:
    locale = locale_from_code(language, "zh-Hans")
    async with running_bot(standin, db) as app:
        chat = Chat(standin, app, SimUser(3006, language_code=language))
        update_id, query_id = standin.push_inline_query(chat.user, query)
        await chat.settle(update_id)
        answer = standin.inline_answers[query_id]
        assert {r["id"] for r in answer["results"]} >= expected
        assert answer["cache_time"] == 300
        card = answer["results"][0]
        provider = shared_content().providers[card["id"].split("-")[0]]
        assert provider.links[provider.official_link].url in card["input_message_content"]["message_text"]
        assert card["reply_markup"]["inline_keyboard"][0][0]["url"].endswith(f"?start={card['id']}")
        assert card["reply_markup"]["inline_keyboard"][0][0]["text"] == ui("inline_open", locale)


async def test_empty_and_odd_inline_queries_are_safe(standin: StandIn, db: Path) -> None:
    async with running_bot(standin, db) as app:
        chat = Chat(standin, app, SimUser(3007, language_code="en"))
        answers = {}
        for query in ["", "🙂" * 100, "x" * 256, "<b>docomo</b>", "\u0000\u202e"]:
            update_id, query_id = standin.push_inline_query(chat.user, query)
            await chat.settle(update_id)
            answers[query] = standin.inline_answers[query_id]["results"]
        popular = {r["id"] for r in answers[""]}
        assert {"docomo-e-on", "au-e-on", "softbank-p-sh"} <= popular
        assert [r["id"].split("-")[0] for r in answers["<b>docomo</b>"]] == ["docomo"] * 4
        assert answers["x" * 256] == []


async def test_share_command_sends_a_qr_of_the_deep_link(standin: StandIn, db: Path) -> None:
    async with running_bot(standin, db) as app:
        chat = Chat(standin, app, SimUser(3008, language_code="en"))
        await chat.send("/share")
        assert chat.last["text"] == ui("share_nothing")
        await chat.send("/start docomo-p-sh-cl")
        await chat.send("/share")
        photo = chat.last
        link = create_deep_linked_url(standin.bot_user["username"], "docomo-p-sh-cl")
        assert link in photo["caption"]
        # The photo is exactly segno's rendering of the link: the QR encodes the same deep link.
        expected = io.BytesIO()
        segno.make(link, error="m", micro=False).save(expected, kind="png", scale=8, border=4)
        assert standin.photos[(3008, photo["message_id"])] == expected.getvalue()
        assert segno.make(link, error="m", micro=False).designator.endswith("-M")
