"""The process entry (`jpsim-bot`, `python -m bot`): the command line of bot/cli.py with this application."""

from __future__ import annotations

from app.build import build_application
from bot.cli import main as cli_main


def main(argv: list[str] | None = None) -> int:
    return cli_main(argv, build=build_application)
