"""Command-line entry point: `jpsim-bot` and `python -m bot`."""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from pydantic import ValidationError

from bot.context import Builder
from bot.exitcodes import ExitCode
from bot.logging_setup import configure_logging, redact_process_output, secret_forms
from bot.settings import Settings
from content import ContentError, load_content

log = logging.getLogger(__name__)

NO_TOKEN_HELP = """\
No TELEGRAM_BOT_TOKEN is set, so this starts the offline demo below.

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
        raise SystemExit(ExitCode.CONFIG) from None


def main(argv: list[str] | None = None, *, build: Builder) -> int:
    """`build` makes the Application (the composition root passes it: this layer knows no handlers)."""
    parser = argparse.ArgumentParser(prog="jpsim-bot", description=__doc__)
    parser.add_argument("--log-level", default=None, choices=["DEBUG", "INFO", "WARNING", "ERROR"])
    parser.add_argument("--demo", action="store_true", help="run the offline demo even when a token is set")
    parser.add_argument("--script", type=Path, help="demo: replay these input lines instead of reading the terminal")
    parser.add_argument(
        "--fast-clock",
        nargs="?",
        type=float,
        const=600.0,
        default=None,
        metavar="FACTOR",
        help="demo: time runs FACTOR times faster (default 600: ten minutes a second), so reminders show up",
    )
    parser.add_argument(
        "--lang", default="en", help="demo: the simulated user's Telegram language (en, zh-hans, zh-tw, ja, vi, ko)"
    )
    args = parser.parse_args(argv)

    settings = _settings_or_exit()
    demo = args.demo or settings.token is None
    # The demo's terminal is the user's chat: keep library chatter out of it unless asked for.
    level = args.log_level or ("WARNING" if demo else "INFO")
    secrets = [*secret_forms(settings.token), settings.webhook_secret or ""]
    redact_process_output(secrets)
    configure_logging(getattr(logging, level), secrets=secrets)
    try:
        content = load_content()
    except ContentError as exc:
        print(f"The content files have {len(exc.problems)} problem(s); run `python -m content check`.", file=sys.stderr)
        return ExitCode.CONFIG
    if demo:
        from bot import demo as offline

        if settings.token is None and args.script is None:
            print(NO_TOKEN_HELP)
        offline.main(settings, content, build, script=args.script, fast_clock=args.fast_clock, language=args.lang)
        return ExitCode.OK
    from bot.runner import run

    return run(settings, content, build)
