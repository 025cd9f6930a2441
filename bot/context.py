"""The CallbackContext every handler receives, with typed access to the application's services."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from telegram.ext import Application, CallbackContext, ExtBot

from bot.clock import Clock
from bot.settings import Settings
from bot.storage import Storage
from bot.updates_request import UpdatesRequest
from content import Content


@dataclass(frozen=True)
class Services:
    settings: Settings
    content: Content
    storage: Storage
    clock: Clock


SERVICES_KEY = "services"


class AppContext(CallbackContext[ExtBot[None], dict[Any, Any], dict[Any, Any], dict[Any, Any]]):
    @property
    def services(self) -> Services:
        services: Services = self.application.bot_data[SERVICES_KEY]
        return services

    @property
    def content(self) -> Content:
        return self.services.content


AppType = Application[ExtBot[None], AppContext, dict[Any, Any], dict[Any, Any], dict[Any, Any], Any]


class Builder(Protocol):
    """Makes the Application (app.build_application); passed down so bot/ never imports the layers above."""

    def __call__(
        self,
        settings: Settings,
        content: Content,
        *,
        clock: Clock | None = None,
        get_updates_request: UpdatesRequest | None = None,
    ) -> AppType: ...
