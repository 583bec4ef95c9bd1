"""The clock is passed in, never read deep inside logic: scheduling, logs and alerts take a
``Clock`` so tests drive a fake one (style.md §10)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

Clock = Callable[[], dt.datetime]


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def as_utc(value: dt.datetime) -> dt.datetime:
    """A stored time read back: SQLite keeps no offset, and what shequn writes is always UTC."""
    return value if value.tzinfo is not None else value.replace(tzinfo=dt.UTC)
