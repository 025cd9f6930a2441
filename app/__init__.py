"""The composition root: builds the Application from the bot's mechanics (bot/) and the chat flow
(conversations/). It sits above both; nothing under bot/ or conversations/ imports it."""

from app.build import build_application

__all__ = ["build_application"]
