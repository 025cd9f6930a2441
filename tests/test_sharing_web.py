"""BOT_WEB_BASE_URL end to end: the web page's link beside the deep link in the summary, /share and inline
results, and a QR code of the web link, exactly when it is set; and that link names a page the site has."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
import segno
from telegram.helpers import create_deep_linked_url

from bot.standin import SimUser, StandIn
from content.site.build import build_site
from tests.harness import Chat, running_bot, shared_content

pytestmark = pytest.mark.asyncio

BASE = "https://jpsim.example.org"


def ui(key: str, locale: str, **values: object) -> str:
    return shared_content().text(key, locale, **values)


def qr(link: str) -> bytes:
    png = io.BytesIO()
    segno.make(link, error="m", micro=False).save(png, kind="png", scale=8, border=4)
    return png.getvalue()


@pytest.mark.parametrize("base", [None, BASE + "/"])
async def test_share_caption_and_qr_carry_the_web_link_only_when_set(
    standin: StandIn, db: Path, tmp_path: Path, base: str | None
) -> None:
    async with running_bot(standin, db, bot_web_base_url=base) as app:
        chat = Chat(standin, app, SimUser(3101, language_code="ja"))
        await chat.send("/start docomo-p-sh-cl")
        await chat.send("/share")
        photo = chat.last
        deep = create_deep_linked_url(standin.bot_user["username"], "docomo-p-sh-cl")
        web = f"{BASE}/ja/docomo-p-sh-cl.html"
        assert deep in photo["caption"]
        assert (web in photo["caption"]) == (base is not None)
        assert (ui("web_link_line", "ja", link=web) in photo["caption"]) == (base is not None)
        # A phone camera opens the web page; without a site the QR code keeps the deep link.
        assert standin.photos[(3101, photo["message_id"])] == qr(web if base else deep)
    if base:  # the link names a page the site really has, in the user's language, for the same procedure
        build_site(shared_content(), tmp_path / "site", bot_username=standin.bot_user["username"], base_url=BASE)
        page = (tmp_path / "site" / web.removeprefix(BASE + "/")).read_text(encoding="utf-8")
        assert '<html lang="ja">' in page
        assert f'href="{deep}"' in page


@pytest.mark.parametrize("base", [None, BASE])
async def test_inline_results_carry_the_web_link_only_when_set(standin: StandIn, db: Path, base: str | None) -> None:
    async with running_bot(standin, db, bot_web_base_url=base) as app:
        chat = Chat(standin, app, SimUser(3102, language_code="en"))
        update_id, query_id = standin.push_inline_query(chat.user, "docomo esim")
        await chat.settle(update_id)
        results = standin.inline_answers[query_id]["results"]
        assert results
        for result in results:
            payload = result["id"]
            web = f"{BASE}/en/{payload}.html"
            rows = result["reply_markup"]["inline_keyboard"]
            assert rows[0][0]["url"].endswith(f"?start={payload}")  # the deep link stays first
            urls = [button["url"] for row in rows for button in row]
            text = result["input_message_content"]["message_text"]
            if base is None:
                assert urls == [rows[0][0]["url"]]
                assert BASE not in text
            else:
                assert urls[1:] == [web]
                assert rows[1][0]["text"] == ui("web_open_button", "en")
                assert ui("web_link_line", "en", link=web) in text


@pytest.mark.parametrize("base", [None, BASE])
async def test_summary_shows_the_web_link_beside_the_deep_link_only_when_set(
    standin: StandIn, db: Path, base: str | None
) -> None:
    async with running_bot(standin, db, bot_web_base_url=base) as app:
        chat = Chat(standin, app, SimUser(3103, language_code="zh-hans"))
        await chat.send("/start au-e-on-cs")
        while ui("btn_next", "zh-Hans") in " ".join(chat.labels()):
            await chat.click(ui("btn_next", "zh-Hans"))
        await chat.click(ui("btn_summary", "zh-Hans"))
        text = chat.screen["text"]
        deep = create_deep_linked_url(standin.bot_user["username"], "au-e-on-cs")
        assert ui("share_link_line", "zh-Hans", link=deep).split("\n")[0] in text
        web_line = ui("web_link_line", "zh-Hans", link=f"{BASE}/zh-Hans/au-e-on-cs.html")
        assert (web_line in text) == (base is not None)
