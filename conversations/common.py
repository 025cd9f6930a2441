"""Small helpers every handler module shares."""

from __future__ import annotations

from telegram import Update

from bot.context import AppContext
from conversations.locale import user_locale


def locale(update: Update, context: AppContext) -> str:
    return user_locale(context.ud, update.effective_user, context.services.settings.bot_default_locale)


def chat_id(update: Update) -> int:
    chat = update.effective_chat
    if chat is None:
        raise RuntimeError("update without a chat")
    return chat.id


def user_id(update: Update) -> int:
    user = update.effective_user
    if user is None:
        raise RuntimeError("update without a user")
    return user.id
