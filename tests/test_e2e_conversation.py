"""The chat flow end to end: the real Application over HTTP against the Bot API stand-in."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.standin import SimUser, StandIn
from tests.harness import Chat, running_bot, shared_content

pytestmark = pytest.mark.asyncio


def ui(key: str, locale: str = "en", **values: object) -> str:
    return shared_content().text(key, locale, **values)


async def _to_steps(chat: Chat, provider: str, *answers: str) -> None:
    await chat.send("/start")
    await chat.click(provider)
    for label in answers:
        await chat.click(label)


async def test_docomo_esim_online_to_the_summary(standin: StandIn, db: Path) -> None:
    async with running_bot(standin, db) as app:
        chat = Chat(standin, app, SimUser(1001, language_code="en"))
        await chat.send("/start")
        screen_id = chat.screen["message_id"]
        assert ui("ask_provider") in chat.screen["text"]
        await chat.click("NTT docomo")
        assert ui("ask_sim") in chat.screen["text"]
        await chat.click(ui("sim_esim"))
        assert ui("channel_shop") in chat.labels()
        assert ui("channel_phone") not in chat.labels()  # docomo's phone channel is unconfirmed
        await chat.click(ui("channel_online"))
        await chat.click(ui("goal_cancel"))
        await chat.click(ui("stay_leaving"))
        proc = shared_content().providers["docomo"].procedure_for("esim", "online")
        assert proc is not None
        steps = proc.steps_for({"sim": "esim", "channel": "online", "goal": "cancel", "stay": "leaving"})
        for n in range(1, len(steps) + 1):
            text = chat.screen["text"]
            assert ui("step_progress", n=n, total=len(steps)) in text
            assert steps[n - 1].text["en"].split("{")[0][:40] in text
            await chat.click(ui("btn_next") if n < len(steps) else ui("btn_summary"))
        summary = chat.screen["text"]
        assert ui("summary_title") in summary
        assert shared_content().catalogue.items["delete_esim_profile"].title["en"] in summary
        assert shared_content().catalogue.items["dispose_sim_card"].title["en"] not in summary  # physical only
        assert f"Checked on {proc.checked_on:%Y-%m-%d}" in summary
        # Every screen was an edit of the one message /start sent.
        assert chat.screen["message_id"] == screen_id
        assert [c.method for c in standin.calls].count("sendMessage") == 1
        assert any(c.method == "editMessageText" and not c.ok for c in standin.calls) is False


async def test_esim_steps_say_deleting_the_profile_does_not_cancel(standin: StandIn, db: Path) -> None:
    async with running_bot(standin, db) as app:
        chat = Chat(standin, app, SimUser(1002, language_code="en"))
        await _to_steps(chat, "NTT docomo", ui("sim_esim"), ui("channel_online"), ui("goal_cancel"), ui("stay_staying"))
        texts = []
        while ui("btn_next") in " ".join(chat.labels()):
            texts.append(chat.screen["text"])
            await chat.click(ui("btn_next"))
        texts.append(chat.screen["text"])
        assert any("does not cancel the contract" in t for t in texts)


async def test_single_sim_type_skips_the_question(standin: StandIn, db: Path) -> None:
    content = shared_content()
    single = next(p for p in content.providers.values() if len(p.sim_types()) == 1)
    async with running_bot(standin, db) as app:
        chat = Chat(standin, app, SimUser(1003, language_code="en"))
        await chat.send("/start")
        await chat.click(single.name["en"])
        assert ui("ask_sim") not in chat.screen["text"]
        assert ui("sim_esim") not in chat.labels()


async def test_prepaid_card_needs_no_cancellation(standin: StandIn, db: Path) -> None:
    provider = shared_content().providers["bmobile_visitor"]
    async with running_bot(standin, db) as app:
        chat = Chat(standin, app, SimUser(1004, language_code="ja"))
        await chat.send("/start")
        await chat.click(provider.name["ja"])
        proc = provider.procedure_for("physical", "none")
        assert proc is not None
        first = proc.steps[0]
        assert first.id == "nothing_to_cancel"
        assert ui("step_progress", "ja", n=1, total=len(proc.steps)) in chat.screen["text"]
        assert first.text["ja"][:20] in chat.screen["text"]


async def test_back_from_step_three_to_step_two(standin: StandIn, db: Path) -> None:
    async with running_bot(standin, db) as app:
        chat = Chat(standin, app, SimUser(1005, language_code="en"))
        await _to_steps(
            chat, "NTT docomo", ui("sim_physical"), ui("channel_shop"), ui("goal_cancel"), ui("stay_staying")
        )
        await chat.click(ui("btn_next"))
        await chat.click(ui("btn_next"))
        assert "Step 3 of" in chat.screen["text"]
        await chat.click(ui("btn_back"))
        assert "Step 2 of" in chat.screen["text"]
        await chat.click(ui("btn_back"))
        await chat.click(ui("btn_back"))  # from step 1 back to the last question
        assert ui("ask_stay") in chat.screen["text"]


async def test_language_switch_mid_flow_rerenders_the_screen(standin: StandIn, db: Path) -> None:
    async with running_bot(standin, db) as app:
        chat = Chat(standin, app, SimUser(1006, language_code="en"))
        await _to_steps(chat, "NTT docomo", ui("sim_esim"), ui("channel_online"), ui("goal_cancel"), ui("stay_abroad"))
        screen_id = chat.screen["message_id"]
        await chat.send("/language")
        picker = chat.last
        await chat.click("简体中文", message=picker)
        live = next(m for m in standin.bot_messages(1006) if m["message_id"] == screen_id)
        assert "第 1 步" in live["text"]
        assert ui("language_set", "zh-Hans") in standin.messages[(1006, picker["message_id"])]["text"]
        await chat.click(ui("btn_next", "zh-Hans"), message=live)
        assert "第 2 步" in chat.screen["text"]


async def test_restart_mid_flow_continues_where_the_user_was(standin: StandIn, db: Path) -> None:
    user = SimUser(1007, language_code="en")
    async with running_bot(standin, db) as app:
        chat = Chat(standin, app, user)
        await _to_steps(chat, "NTT docomo", ui("sim_esim"), ui("channel_online"), ui("goal_cancel"), ui("stay_staying"))
        await chat.click(ui("btn_next"))
        await chat.click(ui("btn_mark_done"))
        assert "Step 2 of" in chat.screen["text"]
    # A new process: a new Application on the same database file.
    async with running_bot(standin, db) as app:
        chat = Chat(standin, app, user)
        await chat.click(ui("btn_next"))
        assert "Step 3 of" in chat.screen["text"]
        await chat.click(ui("btn_back"))
        assert ui("step_done_mark") in chat.screen["text"]  # the tick from before the restart


async def test_forged_and_stale_buttons_expire_gracefully(standin: StandIn, db: Path) -> None:
    async with running_bot(standin, db) as app:
        chat = Chat(standin, app, SimUser(1008, language_code="en"))
        await chat.send("/start")
        old_screen = dict(chat.screen)
        for forged in ("v1|p|no_such_carrier", "v9|p|docomo", "garbage", "v1|go|99", "v1|zz|x"):
            query = await chat.click_data(forged)
            assert chat.answer(query)["text"] == ui("expired_button")
        # A new /start makes the first screen stale.
        await chat.send("/start")
        query = await chat.click("NTT docomo", message=old_screen)
        assert chat.answer(query)["text"] == ui("expired_button")
        stale = standin.messages[(1008, old_screen["message_id"])]
        assert chat.labels(stale) == [ui("btn_restart")]
        await chat.click(ui("btn_restart"), message=stale)
        assert ui("ask_provider") in chat.screen["text"]
        assert all(c.ok or "not modified" in str(c.result) for c in standin.calls if c.method != "getUpdates")


async def test_double_tap_is_not_an_error(standin: StandIn, db: Path) -> None:
    async with running_bot(standin, db) as app:
        chat = Chat(standin, app, SimUser(1009, language_code="en"))
        await _to_steps(chat, "NTT docomo", ui("sim_esim"), ui("channel_online"), ui("goal_cancel"), ui("stay_staying"))
        screen = dict(chat.screen)
        await chat.click(ui("btn_next"), message=screen)
        await chat.click(ui("btn_next"), message=screen)  # same button again: same content
        assert any(not c.ok and "message is not modified" in str(c.result) for c in standin.calls)
        assert "Step 2 of" in chat.screen["text"]
        assert not any(ui("error_generic") in m.get("text", "") for m in standin.bot_messages(1009))


@pytest.mark.parametrize(
    ("text", "code", "locale", "provider", "question"),
    [
        ("docomo esim", "en", "en", "docomo", "ask_channel"),
        ("我要注销软银", "zh-Hans", "zh-Hans", "softbank", "ask_sim"),
        ("楽天モバイルを解約したい", "ja", "ja", "rakuten", "ask_sim"),
        ("我想解約軟銀", "zh-TW", "zh-Hant", "softbank", "ask_sim"),
        ("樂天行動要怎麼解約？", "zh-hk", "zh-Hant", "rakuten", "ask_sim"),
        ("Mình muốn hủy SIM SoftBank", "vi", "vi", "softbank", "ask_sim"),
        ("소프트뱅크 해지하고 싶어요", "ko", "ko", "softbank", "ask_sim"),
        ("라쿠텐 모바일 해지", "ko", "ko", "rakuten", "ask_sim"),
    ],
)
async def test_free_text_naming_a_provider_jumps_there(
    standin: StandIn, db: Path, text: str, code: str, locale: str, provider: str, question: str
) -> None:
    async with running_bot(standin, db) as app:
        chat = Chat(standin, app, SimUser(1010, language_code=code))
        await chat.send(text)
        name = shared_content().providers[provider].name[locale]
        assert ui("matched_provider", locale, provider=name) in " ".join(
            m.get("text", "") for m in standin.bot_messages(1010)
        )
        assert ui(question, locale, provider=name) in chat.screen["text"]


async def test_odd_input_is_answered_and_loses_nothing(standin: StandIn, db: Path) -> None:
    async with running_bot(standin, db) as app:
        chat = Chat(standin, app, SimUser(1011, language_code="en"))
        await _to_steps(chat, "NTT docomo", ui("sim_esim"))
        await chat.send(
            None,
            sticker={
                "file_id": "s",
                "file_unique_id": "s",
                "type": "regular",
                "width": 1,
                "height": 1,
                "is_animated": False,
                "is_video": False,
            },
        )
        assert chat.last["text"] == ui("unsupported_message")
        await chat.send("x" * 5000)
        assert chat.last["text"] == ui("too_long")
        await chat.send("hello?")
        assert ui("ask_channel", provider="NTT docomo") in chat.screen["text"]  # the question is shown again
        await chat.send("/frobnicate")
        assert chat.last["text"] == ui("unknown_command")
        before = len(standin.bot_messages(1011))
        await chat.push({"edited_message": {**standin.chat_messages(1011)[0], "text": "edited", "edit_date": 1}})
        assert len(standin.bot_messages(1011)) == before  # edits are ignored
        await chat.click(ui("channel_online"))
        assert ui("ask_goal") in chat.screen["text"]


async def test_group_chats_are_redirected_to_private(standin: StandIn, db: Path) -> None:
    async with running_bot(standin, db) as app:
        user = SimUser(1012)
        chat = Chat(standin, app, user)
        group = {"id": -500, "type": "group", "title": "Friends"}
        standin.open_chat(-500)
        message = {
            "message_id": 1,
            "date": 0,
            "chat": group,
            "from": user.as_json(),
            "text": "/start",
            "entities": [{"type": "bot_command", "offset": 0, "length": 6}],
        }
        await chat.push({"message": message})
        replies = standin.bot_messages(-500)
        assert [m["text"] for m in replies] == [ui("private_only")]
        await chat.push({"message": {**message, "message_id": 2, "text": "docomo", "entities": []}})
        assert len(standin.bot_messages(-500)) == 1  # ordinary group chatter is ignored


async def test_commands_are_published_per_language(standin: StandIn, db: Path) -> None:
    async with running_bot(standin, db):
        zh = standin.commands[("all_private_chats", "zh")]
        ja = standin.commands[("all_private_chats", "ja")]
        assert [c["command"] for c in zh] == [
            "start",
            "checklist",
            "plan",
            "reminders",
            "share",
            "settings",
            "language",
            "help",
            "quit",
            "deletemydata",
        ]
        assert zh[0]["description"] == ui("cmd_start", "zh-Hans")
        assert ja[0]["description"] == ui("cmd_start", "ja")
        # Two-letter codes only: Vietnamese and Korean have their own lists, "zh" stays Simplified Chinese.
        for code in ("vi", "ko"):
            published = standin.commands[("all_private_chats", code)]
            assert [c["description"] for c in published] == [ui(f"cmd_{c['command']}", code) for c in zh]
        assert {code for _scope, code in standin.commands} == {"", "zh", "en", "ja", "vi", "ko"}
        assert standin.commands[("all_private_chats", "")] == zh  # BOT_DEFAULT_LOCALE is zh-Hans
