"""Pausing Python's cyclic garbage collector around bulk work.

Loading a big table or scoring a batch creates objects by the hundred thousand without cycles;
reference counting frees them, but the collector still rescans them on every generation
threshold: 30% of batch moderation time and a third of jieba's dictionary load."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def gc_paused() -> Iterator[None]:
    """Collector off inside, back on after if it was on (nesting and threads are safe: whoever
    found it on turns it back on)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
