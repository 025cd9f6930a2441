"""Traditional Chinese, Vietnamese and Korean users, from Telegram's language_code to a reminder and a shared link."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from telegram.helpers import create_deep_linked_url

from app.build import command_language_codes
from bot.clock import ManualClock
from bot.reminders import dispatcher_of
from bot.standin import SimUser, StandIn
from content import LOCALES
from conversations.locale import locale_from_code
from tests.harness import Chat, running_bot, shared_content

NOON_JST = datetime(2026, 12, 1, 3, 0, tzinfo=UTC)
QUIET_INTERVAL = 3600.0  # the JobQueue ticker runs once at start; the test dispatches by hand


@pytest.mark.parametrize(
    ("code", "locale"),
    [
        *(("zh-hant", "zh-Hant"), ("zh-TW", "zh-Hant"), ("zh-hk", "zh-Hant"), ("zh-mo", "zh-Hant")),
        *(("zh-Hant-HK", "zh-Hant"), ("zh_TW", "zh-Hant"), ("zh-Hans-HK", "zh-Hans")),
        *(("zh", "zh-Hans"), ("zh-hans", "zh-Hans"), ("zh-CN", "zh-Hans"), ("zh-sg", "zh-Hans")),
        *(("vi", "vi"), ("vi-VN", "vi"), ("ko", "ko"), ("ko-KR", "ko"), ("ja", "ja")),
        *(("jv", "en"), ("kok", "en"), ("en-GB", "en"), ("ru", "en"), ("", "ja"), (None, "ja")),
    ],
)
def test_language_code_to_locale(code: str | None, locale: str) -> None:
    assert locale_from_code(code, default="ja") == locale


def test_command_lists_per_language_code() -> None:
    # setMyCommands takes two-letter codes: both Chinese scripts share "zh", which follows the default locale.
    assert command_language_codes("zh-Hans") == {"zh-Hans": "zh", "en": "en", "ja": "ja", "vi": "vi", "ko": "ko"}
    assert command_language_codes("en")["zh-Hans"] == "zh"
    assert command_language_codes("zh-Hant") == {"zh-Hant": "zh", "en": "en", "ja": "ja", "vi": "vi", "ko": "ko"}


def _ui(key: str, locale: str, **values: object) -> str:
    return shared_content().text(key, locale, **values)


def _asked_reminders(db: Path, user: int) -> list[tuple[object, ...]]:
    """The reminders the user asked for (the automatic follow-ups aside)."""
    with sqlite3.connect(db) as conn:
        sql = "SELECT status FROM reminders WHERE user_id = ? AND kind = 'user'"
        return conn.execute(sql, (user,)).fetchall()


@pytest.mark.asyncio
@pytest.mark.parametrize(
    ("code", "locale", "user_id"), [("zh-TW", "zh-Hant", 4101), ("vi", "vi", 4102), ("ko", "ko", 4103)]
)
async def test_walk_remind_and_share_in_each_new_language(
    standin: StandIn, db: Path, code: str, locale: str, user_id: int
) -> None:
    content = shared_content()
    docomo = content.providers["docomo"]
    proc = docomo.procedure_for("esim", "online")
    assert proc is not None
    steps = proc.steps_for({"sim": "esim", "goal": "cancel", "stay": "leaving"})
    clock = ManualClock(NOON_JST)
    async with running_bot(standin, db, clock=clock, bot_reminder_interval=QUIET_INTERVAL) as app:
        chat = Chat(standin, app, SimUser(user_id, language_code=code))
        await chat.send("/start")
        assert _ui("ask_provider", locale) in chat.screen["text"]
        await chat.click(docomo.name[locale])
        for answer in ("sim_esim", "channel_online", "goal_cancel", "stay_leaving"):
            await chat.click(_ui(answer, locale))
        for n, step in enumerate(steps, start=1):
            text = chat.screen["text"]
            assert _ui("step_progress", locale, n=n, total=len(steps)) in text
            assert step.text[locale].split("{")[0][:30] in text
            await chat.click(_ui("btn_next" if n < len(steps) else "btn_summary", locale))
        summary = chat.screen["text"]
        assert _ui("summary_title", locale) in summary
        assert content.catalogue.items["delete_esim_profile"].title[locale] in summary
        link = create_deep_linked_url(standin.bot_user["username"], "docomo-e-on-cl")
        assert _ui("share_link_line", locale, link=link) in summary

        # A reminder in three hours, set from the summary, arrives in the user's language.
        await chat.click(_ui("btn_remind", locale))
        picker = chat.last
        await chat.click(_ui("preset_3h", locale), message=picker)
        assert standin.messages[(user_id, picker["message_id"])]["text"] == _ui(
            "remind_set", locale, when="2026-12-01 15:00", tz="Asia/Tokyo"
        )
        assert _asked_reminders(db, user_id) == [("pending",)]
        clock.advance(timedelta(hours=3))
        assert (await dispatcher_of(app).run()).sent == 1
        assert _asked_reminders(db, user_id) == [("sent",)]
        reminder = standin.bot_messages(user_id)[-1]
        assert _ui("reminder_title", locale, procedure=proc.title[locale]) in reminder["text"]

        # /share: the deep link and its QR code, captioned in the user's language.
        await chat.send("/share")
        photo = chat.last
        assert photo["caption"] == _ui("share_caption", locale, title=proc.title[locale], link=link)

        # /language offers all six languages, each in its own name.
        await chat.send("/language")
        assert chat.last["text"] == _ui("language_prompt", locale)
        assert chat.labels(chat.last) == [_ui("language_name", loc) for loc in LOCALES]
