"""The CallbackContext every handler receives, with typed access to the application's services."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from telegram.ext import Application, CallbackContext, ExtBot

from bot.clock import Clock
from bot.settings import Settings
from bot.storage import Storage
from content import Content


@dataclass(frozen=True)
class Services:
    settings: Settings
    content: Content
    storage: Storage
    clock: Clock


SERVICES_KEY = "services"


class AppContext(CallbackContext[ExtBot[None], dict[str, Any], dict[Any, Any], dict[Any, Any]]):
    @property
    def services(self) -> Services:
        services: Services = self.application.bot_data[SERVICES_KEY]
        return services

    @property
    def content(self) -> Content:
        return self.services.content

    @property
    def ud(self) -> dict[str, Any]:
        """user_data, which every handler of ours has (private chats, real users)."""
        data = self.user_data
        if data is None:
            raise RuntimeError("handler called without a user")
        return data


AppType = Application[ExtBot[None], AppContext, dict[str, Any], dict[Any, Any], dict[Any, Any], Any]
