"""The clock is passed in, never read deep inside logic: scheduling, logs and alerts take a
``Clock`` so tests drive a fake one (style.md §10)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

Clock = Callable[[], dt.datetime]


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)
