"""The peer of `bench throughput --peer ptb-example`: a plain python-telegram-bot conversation bot as PTB's own
examples write one (inlinekeyboard.py): /start sends a message with two buttons, each tap answers the callback
query and edits the message in place. No persistence, no rate limiter, default (sequential) update handling.

    python -m bench.ptb_example TOKEN BASE_URL [tuned]

`tuned` runs the same example on the bot's own transport and loop (aiohttp through bot/aiohttp_request.py,
uvloop, gc.freeze after start-up): what python-telegram-bot itself costs per update once httpx and the default
loop are out of the way, the yardstick for our own per-update work (`--peer ptb-example-tuned`).
"""

from __future__ import annotations

import gc
import sys

import uvloop
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, ContextTypes

from bot.aiohttp_request import AiohttpRequest

KEYBOARD = InlineKeyboardMarkup([[InlineKeyboardButton("Option 1", callback_data="1")],
                                 [InlineKeyboardButton("Option 2", callback_data="2")]])  # fmt: skip


async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    if update.message is not None:
        await update.message.reply_text("Please choose:", reply_markup=KEYBOARD)


async def button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.callback_query
    if query is None:
        return
    await query.answer()
    taps = context.chat_data.setdefault("taps", 0) + 1 if context.chat_data is not None else 1
    if context.chat_data is not None:
        context.chat_data["taps"] = taps
    # The tap count keeps every edit different (Telegram refuses an edit that changes nothing).
    await query.edit_message_text(f"Selected option: {query.data} (tap {taps})", reply_markup=KEYBOARD)


def main(token: str, base_url: str, tuned: bool) -> None:
    builder = Application.builder().token(token).base_url(base_url)
    if tuned:
        uvloop.install()
        builder = builder.request(AiohttpRequest(connections=16)).get_updates_request(AiohttpRequest(connections=1))
    app = builder.build()
    app.add_handler(CommandHandler("start", start))
    app.add_handler(CallbackQueryHandler(button))
    if tuned:
        gc.freeze()
    app.run_polling(allowed_updates=Update.ALL_TYPES, poll_interval=0, timeout=10)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], sys.argv[3:] == ["tuned"])
