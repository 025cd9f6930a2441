"""Sharing a procedure: its deep link, /share with a QR code, and inline mode in any chat."""

from __future__ import annotations

import html
from dataclasses import dataclass
from uuid import uuid4

from telegram import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InlineQueryResultArticle,
    InputTextMessageContent,
    Update,
)
from telegram.constants import InlineQueryLimit
from telegram.helpers import create_deep_linked_url

from bot.context import AppContext
from bot.qr import qr_png
from content import Content, deeplinks
from content.schema import Procedure, Provider
from content.site.paths import web_url
from conversations import flow
from conversations.locale import locale_from_code, user_locale
from conversations.matching import ProviderMatcher
from conversations.views import escape_ui, fill

INLINE_CACHE_SECONDS = 300  # results change only with the content; personal because they follow the language
MAX_RESULTS = InlineQueryLimit.RESULTS
MAX_QUERY = InlineQueryLimit.MAX_QUERY_LENGTH
# What an empty inline query lists: the cancellations people ask about most.
POPULAR = (
    ("docomo", "esim", "online"),
    ("au", "esim", "online"),
    ("softbank", "physical", "shop"),
    ("rakuten", "esim", "online"),
    ("ahamo", "esim", "online"),
    ("ymobile", "esim", "online"),
    ("linemo", "esim", "online"),
    ("uq_mobile", "physical", "online"),
    ("prepaid_data_sim", "esim", "none"),
)
MATCHER_KEY = "provider_matcher"


@dataclass(frozen=True)
class ShareLinks:
    deep: str  # opens the procedure in the bot
    web: str | None  # the same procedure's page on the static site, when BOT_WEB_BASE_URL is set

    def text(self, content: Content, loc: str) -> str:
        """The deep link, then the web link on its own line."""
        return self.deep if self.web is None else f"{self.deep}\n{content.text('web_link_line', loc, link=self.web)}"

    @property
    def qr(self) -> str:
        """What a QR code should hold: any phone camera opens a web page, a t.me link needs Telegram."""
        return self.web or self.deep


def links_for(context: AppContext, sel: dict[str, str], loc: str) -> ShareLinks:
    """The one place that decides which links sharing shows (summary screen, /share, inline results)."""
    base = context.services.settings.bot_web_base_url
    return ShareLinks(
        create_deep_linked_url(context.bot.username, deeplinks.encode(sel)),
        web_url(base, loc, sel) if base else None,
    )


def matcher(context: AppContext) -> ProviderMatcher:
    found = context.bot_data.get(MATCHER_KEY)
    if not isinstance(found, ProviderMatcher):
        found = context.bot_data[MATCHER_KEY] = ProviderMatcher(context.content)
    return found


async def share_command(update: Update, context: AppContext) -> None:
    """The current procedure's link, and a QR code of it to show on a phone (reads the committed record:
    nothing is written)."""
    user = update.effective_user
    assert user is not None
    record = await context.services.storage.read_record(user.id)
    sel = flow.answers(record)
    loc = user_locale(record, user, context.services.settings.bot_default_locale)
    proc = flow.procedure_of(context.content, sel)
    message = update.effective_message
    assert message is not None
    if proc is None:
        await message.reply_text(escape_ui(context.content, "share_nothing", loc))
        return
    links = links_for(context, sel, loc)
    caption = escape_ui(
        context.content, "share_caption", loc, title=proc.title[loc], link=links.text(context.content, loc)
    )
    await context.bot.send_photo(message.chat_id, qr_png(links.qr), caption=caption)


def _card(content: Content, provider: Provider, proc: Procedure, sel: dict[str, str], loc: str, web: str | None) -> str:
    official = provider.links[proc.official_link]
    sim = content.text(f"sim_{sel['sim']}", loc)
    anchor = f'<a href="{html.escape(official.url)}">{html.escape(official.label[loc])}</a>'
    web_line = [escape_ui(content, "web_link_line", loc, link=web)] if web else []
    return "\n\n".join(
        [
            f"<b>{html.escape(proc.title[loc])}</b> · {html.escape(sim)}",
            fill(proc.summary[loc], provider, loc),
            escape_ui(content, "official_line", loc, link="\x00").replace("\x00", anchor),
            escape_ui(content, "checked_on_line", loc, date=proc.checked_on.isoformat()),
            *web_line,
        ]
    )


def search(content: Content, finder: ProviderMatcher, query: str) -> list[dict[str, str]]:
    """The procedures an inline query asks for: an exact payload, the providers it names, or the popular ones."""
    query = query.strip()[:MAX_QUERY]
    exact = deeplinks.decode(query, content)
    if exact is not None:
        return [exact]
    if not query:
        return [{"provider": p, "sim": s, "channel": c} for p, s, c in POPULAR if p in content.providers]
    found: list[dict[str, str]] = []
    for match in finder.match_all(query):
        provider = content.providers[match.provider_id]
        for sim in provider.sim_types():
            if match.sim is not None and sim != match.sim and match.sim in provider.sim_types():
                continue
            found.extend({"provider": provider.id, "sim": sim, "channel": ch} for ch in provider.channels_for(sim))
    return found[:MAX_RESULTS]


async def inline_query(update: Update, context: AppContext) -> None:
    query = update.inline_query
    assert query is not None
    loc = locale_from_code(query.from_user.language_code, context.services.settings.bot_default_locale)
    content = context.content
    results = []
    for sel in search(content, matcher(context), query.query):
        provider, proc = content.providers[sel["provider"]], flow.procedure_of(content, sel)
        if proc is None:
            continue
        links = links_for(context, sel, loc)
        sim = content.text(f"sim_{sel['sim']}", loc)
        buttons = [[InlineKeyboardButton(content.text("inline_open", loc), url=links.deep)]]
        if links.web:
            buttons.append([InlineKeyboardButton(content.text("web_open_button", loc), url=links.web)])
        results.append(
            InlineQueryResultArticle(
                id=deeplinks.encode(sel) or uuid4().hex,
                title=f"{proc.title[loc]} · {sim}",
                description=proc.summary[loc][:120],
                input_message_content=InputTextMessageContent(_card(content, provider, proc, sel, loc, links.web)),
                reply_markup=InlineKeyboardMarkup(buttons),
            )
        )
    await query.answer(results, cache_time=INLINE_CACHE_SECONDS, is_personal=True)
