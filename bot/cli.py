"""Command-line entry point: `jpsim-bot` and `python -m bot`."""

from __future__ import annotations

import argparse
import logging
import sys

from pydantic import ValidationError

from bot.logging_setup import configure_logging
from bot.settings import Settings
from content import ContentError, load_content

log = logging.getLogger(__name__)

NO_TOKEN_HELP = """\
No TELEGRAM_BOT_TOKEN is set, so the bot cannot talk to Telegram.

To run the real bot:
  1. Create a bot with @BotFather in Telegram and copy its token.
  2. Put it in a file named .env next to pyproject.toml:   TELEGRAM_BOT_TOKEN=123456:ABC...
     (or export TELEGRAM_BOT_TOKEN in your shell), then run this command again.
"""


def _settings_or_exit() -> Settings:
    try:
        return Settings()
    except ValidationError as exc:
        # Only field names and messages: never echo the input values, one of which may be the token.
        print("Configuration error:", file=sys.stderr)
        for err in exc.errors():
            field = ".".join(str(p) for p in err["loc"]).upper()
            print(f"  {field}: {err['msg']}", file=sys.stderr)
        raise SystemExit(2) from None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="jpsim-bot", description=__doc__)
    parser.add_argument("--log-level", default="INFO", choices=["DEBUG", "INFO", "WARNING", "ERROR"])
    args = parser.parse_args(argv)

    settings = _settings_or_exit()
    configure_logging(getattr(logging, args.log_level), secrets=[settings.token or ""])
    try:
        content = load_content()
    except ContentError as exc:
        print(f"The content files have {len(exc.problems)} problem(s); run `python -m content check`.", file=sys.stderr)
        return 2
    if settings.token is None:
        print(NO_TOKEN_HELP)
        return 0
    from bot.runner import run_polling

    run_polling(settings, content)
    return 0
