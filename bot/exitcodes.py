"""The process's exit codes, in one place: a supervisor (systemd, Docker, Kubernetes) decides from them
whether a restart can help. Values follow sysexits.h where one fits, so they mean something to tools too.
The README's deployment section lists them with what to do."""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    OK = 0  # stopped by SIGTERM/SIGINT, or the demo ended
    CRASH = 1  # an unexpected error (Python's own code for an uncaught exception): restart with back-off
    UNAVAILABLE = 69  # EX_UNAVAILABLE: Telegram (or the Bot API server) unreachable or failing at start
    STORAGE = 74  # EX_IOERR: the database cannot be opened or written (disk full, read-only, locked)
    PROTOCOL = 76  # EX_PROTOCOL: Telegram refused the webhook registration
    TOKEN_REJECTED = 77  # EX_NOPERM: Telegram rejected the token (401/404), at start or while running
    CONFIG = 78  # EX_CONFIG: invalid settings or content files


class FatalError(Exception):
    """A condition the process cannot recover from by itself: the runner logs `message` as one line and
    exits with `code`. Raised by any layer (storage at open, the runner at start-up)."""

    def __init__(self, code: ExitCode, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
