"""Mechanics: settings, application wiring, storage, scheduling and sending."""

import os

# Opt in to python-telegram-bot's timedelta time periods now (RetryAfter.retry_after and friends), instead of a
# deprecation warning on every flood-control error; our code accepts both forms.
os.environ.setdefault("PTB_TIMEDELTA", "1")
