"""Community ids and paths built from them: the rules, validated in one place before a name
reaches a file, a collection or a row (style.md §15). ``assistant.communities`` is the registry."""

from __future__ import annotations

import os
import re
from functools import lru_cache
from pathlib import Path

COMMUNITY_PATTERN = r"^[a-z0-9][a-z0-9_-]{0,63}$"
COMMUNITY_RE = re.compile(COMMUNITY_PATTERN)
#: ``global`` holds the entries shared by every community; the others name no community.
GLOBAL = "global"
RESERVED = frozenset({GLOBAL, "all", "default", "none", "null", "shequn"})


class InvalidCommunity(ValueError):
    """Not a usable community id; the message never echoes more than a short prefix of it."""


class UnknownCommunity(LookupError):
    """A valid id that names no community shequn knows (no knowledge, profile, policy or model)."""


def community_id(value: object, *, allow_reserved: bool = False) -> str:
    """``value`` as a community id, or ``InvalidCommunity`` saying why."""
    if not isinstance(value, str) or not COMMUNITY_RE.fullmatch(value):
        shown = repr(value[:40]) + ("…" if len(value) > 40 else "") if isinstance(value, str) else type(value).__name__
        rule = "1-64 lowercase letters, digits, '_' or '-', starting with a letter or digit"
        raise InvalidCommunity(f"invalid community id {shown}: use {rule}")
    if value in RESERVED and not allow_reserved:
        raise InvalidCommunity(f"community id {value!r} is reserved")
    return value


def inside(root: Path, *parts: str) -> Path:
    """``root / parts``, refused unless the resolved path stays inside ``root``.

    Resolving walks every component (~25 µs, paid on every request for a community's files):
    the answer is kept per root, parts and working directory. A kept path is fully resolved, so
    the file opened later is the one that was checked; refusals are not kept."""
    return _inside(root, parts, None if root.is_absolute() else os.getcwd())


@lru_cache(maxsize=4096)
def _inside(root: Path, parts: tuple[str, ...], cwd: str | None) -> Path:
    base = root.resolve()
    path = base.joinpath(*parts).resolve()
    if path != base and base not in path.parents:
        raise InvalidCommunity("path escapes its folder")
    return path
