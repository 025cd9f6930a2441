"""Output that can never print the bot token, whatever writes it: our logs, library logs (httpx logs
request URLs), tracebacks of uncaught exceptions (InvalidToken quotes the token; a proxy's 502 page that
echoes the request path ends up in NetworkError's message), or a stray print."""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterable
from typing import Any, TextIO

REDACTED = "<redacted>"


def secret_forms(token: str | None) -> list[str]:
    """The token, and its secret part alone (after `bot_id:`), which survives URL-encoding of the colon."""
    if not token:
        return []
    _, _, secret = token.partition(":")
    return [token, secret] if len(secret) >= 8 else [token]


def redact(text: str, secrets: Iterable[str]) -> str:
    for secret in secrets:
        if secret:
            text = text.replace(secret, REDACTED)
    return text


class RedactingFilter(logging.Filter):
    def __init__(self, secrets: Iterable[str]) -> None:
        super().__init__()
        self._secrets = [s for s in secrets if s]

    def filter(self, record: logging.LogRecord) -> bool:
        if not self._secrets:
            return True
        message = record.getMessage()
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text, self._secrets)
        redacted = redact(message, self._secrets)
        if redacted != message:
            record.msg, record.args = redacted, None
        return True


class RedactingStream:
    """Wraps sys.stdout/sys.stderr. Python writes a traceback line by line and a log record in one call,
    so a token never straddles two writes."""

    def __init__(self, stream: TextIO, secrets: Iterable[str]) -> None:
        self._stream = stream
        self._secrets = [s for s in secrets if s]

    def write(self, text: str) -> int:
        self._stream.write(redact(text, self._secrets))
        return len(text)

    def writelines(self, lines: Iterable[str]) -> None:
        for line in lines:
            self.write(line)

    def __getattr__(self, name: str) -> Any:  # flush, fileno, isatty, encoding…: the wrapped stream's
        return getattr(self._stream, name)


def redact_process_output(secrets: Iterable[str]) -> None:
    """From here on, everything written to stdout and stderr is redacted, uncaught tracebacks included
    (the default excepthook writes to sys.stderr)."""
    kept = [s for s in secrets if s]
    if kept:
        sys.stdout = RedactingStream(sys.stdout, kept)
        sys.stderr = RedactingStream(sys.stderr, kept)


class BusyJobFilter(logging.Filter):
    """Drops APScheduler's warning that a repeating job's run was skipped because the last one is still going.
    For the reminder dispatcher that is expected: a wave of 500 reminders at 25 a second takes 20 s, and the
    run under way sends what falls due meanwhile. It was one WARNING line a second for the whole wave."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "maximum number of running instances reached" not in str(record.msg)


def configure_logging(level: int = logging.INFO, secrets: Iterable[str] = ()) -> None:
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(RedactingFilter(secrets))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # httpx logs every request URL at INFO, and the URL contains the token.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    scheduler = logging.getLogger("apscheduler.scheduler")
    if not any(isinstance(f, BusyJobFilter) for f in scheduler.filters):
        scheduler.addFilter(BusyJobFilter())
