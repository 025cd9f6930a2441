"""Settings from the environment and .env, and the token never reaching logs or errors."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from pydantic import ValidationError

from app.main import main as cli_main
from bot.logging_setup import REDACTED, RedactingFilter, configure_logging
from bot.settings import DEFAULT_API_BASE_URL, Settings

TOKEN = "123456789:AAFake-Token_for_tests_only"
ENV_NAMES = [
    "TELEGRAM_BOT_TOKEN",
    "TELEGRAM_API_BASE_URL",
    "BOT_DB_PATH",
    "BOT_TIMEZONE",
    "BOT_DEFAULT_LOCALE",
    "BOT_ADMIN_IDS",
    "BOT_DATABASE_URL",
]


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in ENV_NAMES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)  # no stray .env from the developer's checkout


def test_defaults() -> None:
    s = Settings()
    assert s.token is None
    assert s.telegram_api_base_url == DEFAULT_API_BASE_URL
    assert s.bot_db_path == Path("data/jpsim-bot.sqlite3")
    assert s.bot_timezone == "Asia/Tokyo"
    assert s.bot_default_locale == "zh-Hans"
    assert s.bot_admin_ids == []


def test_environment_and_dotenv(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    (tmp_path / ".env").write_text(f"TELEGRAM_BOT_TOKEN={TOKEN}\nBOT_ADMIN_IDS=1, 22;333\n", encoding="utf-8")
    monkeypatch.setenv("TELEGRAM_API_BASE_URL", "http://127.0.0.1:8081/bot/")
    monkeypatch.setenv("BOT_DEFAULT_LOCALE", "ja")
    s = Settings()
    assert s.token == TOKEN
    assert s.bot_admin_ids == [1, 22, 333]
    assert s.telegram_api_base_url == "http://127.0.0.1:8081/bot"
    assert s.file_base_url == "http://127.0.0.1:8081/file/bot"
    assert s.bot_default_locale == "ja"


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("TELEGRAM_API_BASE_URL", "http://127.0.0.1:8081"),
        ("BOT_TIMEZONE", "Mars/Olympus"),
        ("BOT_DEFAULT_LOCALE", "fr"),
        ("BOT_ADMIN_IDS", "alice"),
        ("BOT_DATABASE_URL", "mysql://bot:pw@db/bot"),
    ],
)
def test_invalid_values_are_rejected(monkeypatch: pytest.MonkeyPatch, name: str, value: str) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(ValidationError):
        Settings()


def test_database_url_defaults_to_the_sqlite_file_at_bot_db_path(monkeypatch: pytest.MonkeyPatch) -> None:
    assert Settings().database_url == "sqlite:///data/jpsim-bot.sqlite3"
    assert not Settings().uses_postgres
    monkeypatch.setenv("BOT_DB_PATH", "/srv/bot/state.sqlite3")
    assert Settings().database_url == "sqlite:////srv/bot/state.sqlite3"
    monkeypatch.setenv("BOT_DATABASE_URL", "postgresql://bot:s3cret-pw@db:5432/bot")
    s = Settings()
    assert s.database_url == "postgresql://bot:s3cret-pw@db:5432/bot"  # BOT_DATABASE_URL wins
    assert s.uses_postgres
    assert "s3cret-pw" not in repr(s)


def test_token_not_in_repr_or_validation_errors(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", TOKEN)
    assert TOKEN not in repr(Settings())
    assert TOKEN not in str(Settings())
    monkeypatch.setenv("BOT_TIMEZONE", "Nowhere/Else")
    with pytest.raises(ValidationError) as info:
        Settings()
    assert TOKEN not in str(info.value)


def test_cli_config_error_does_not_echo_the_token(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", TOKEN)
    monkeypatch.setenv("BOT_TIMEZONE", "Nowhere/Else")
    with pytest.raises(SystemExit):
        cli_main([])
    captured = capsys.readouterr()
    assert "BOT_TIMEZONE" in captured.err
    assert TOKEN not in captured.out + captured.err


def test_redacting_filter_hides_the_token_in_messages_args_and_tracebacks(caplog: pytest.LogCaptureFixture) -> None:
    logger = logging.getLogger("test.redaction")
    caplog.handler.addFilter(RedactingFilter([TOKEN]))
    logger.warning("HTTP Request: POST %s/getMe", f"https://api.example/bot{TOKEN}")
    try:
        raise RuntimeError(f"failed for bot{TOKEN}")
    except RuntimeError:
        logger.exception("request failed")
    text = caplog.text
    assert TOKEN not in text
    assert REDACTED in text


def test_a_reminder_run_skipped_while_the_last_one_sends_is_not_a_warning(capsys: pytest.CaptureFixture[str]) -> None:
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    scheduler = logging.getLogger("apscheduler.scheduler")
    try:
        configure_logging(logging.INFO)
        configure_logging(logging.INFO)  # a second configuration adds no second filter
        assert len(scheduler.filters) == 1
        # APScheduler's own wording (apscheduler/schedulers/base.py), then a warning that must still show.
        scheduler.warning(
            'Execution of job "%s" skipped: maximum number of running instances reached (%d)', "reminders", 1
        )
        scheduler.warning('Run time of job "%s" was missed by %s', "reminders", "0:00:03")
    finally:
        root.handlers[:] = handlers
        root.setLevel(level)
        scheduler.filters.clear()
    err = capsys.readouterr().err
    assert "maximum number of running instances" not in err
    assert 'Run time of job "reminders" was missed' in err
