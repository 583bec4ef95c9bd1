"""Who is calling and which communities they may touch.

API keys carry a role and a set of communities (or all). The HTTP layer authenticates a key and
binds its ``Principal`` for the request; ``Communities.resolve`` (and every listing) consults
``current()`` so community scope is enforced where a community is named, once, not in each route.
The CLI binds nothing and acts for the operator of the machine, with every community.
A route that loads a stored object by id (a draft, a run) calls ``check(obj.community)`` on it."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable, Iterable
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Literal, get_args

from assistant.ids import community_id

Role = Literal["admin", "operator", "bot", "reviewer"]
ROLES: tuple[str, ...] = get_args(Role)
SECRET_PREFIX = "shq_"


class OutOfScope(PermissionError):
    """The caller's key does not cover this community (or "all communities")."""


@dataclass(frozen=True)
class Principal:
    """An authenticated key: ``key_id`` and ``name`` are safe to log; the secret never is."""

    key_id: str
    name: str
    role: Role
    communities: frozenset[str] | None = None  # None: every community
    rate_limit: str | None = None  # None: the server's default

    def covers(self, community: str | None) -> bool:
        """``None`` means all communities (or shared entries): only an unscoped key covers it."""
        return self.communities is None or (community is not None and community in self.communities)


#: Used when no key is configured at all: the server then only listens on loopback.
OPEN = Principal(key_id="open", name="no keys configured", role="admin")


@dataclass
class Caller:
    """One request's caller, and the communities it named (recorded for the audit log)."""

    principal: Principal | None
    communities: list[str] = field(default_factory=list)


_caller: ContextVar[Caller | None] = ContextVar("shequn_caller", default=None)


def bind(caller: Caller) -> None:
    """Set for the current request (its task; threads it starts copy the context)."""
    _caller.set(caller)


def current() -> Caller | None:
    return _caller.get()


def check(community: str | None) -> None:
    """Raises ``OutOfScope`` unless the current caller may act on ``community`` (None: all)."""
    caller = _caller.get()
    if caller is None:
        return
    if caller.principal is None or not caller.principal.covers(community):
        raise OutOfScope(f"this key may not use {'community ' + repr(community) if community else 'all communities'}")
    if community is not None and community not in caller.communities:
        caller.communities.append(community)


def default_community() -> str | None:
    """A key scoped to exactly one community means that community when a request names none."""
    caller = _caller.get()
    scope = caller.principal.communities if caller and caller.principal else None
    return next(iter(scope)) if scope is not None and len(scope) == 1 else None


def visible(names: Iterable[str]) -> list[str]:
    """The names the current caller may see (all of them outside a request)."""
    caller = _caller.get()
    if caller is None:
        return list(names)
    principal = caller.principal
    return [n for n in names if principal is not None and principal.covers(n)]


def hash_secret(secret: str) -> str:
    """Keys are random (or chosen by the operator for settings): stored and compared as sha256."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def new_secret(key_id: str) -> str:
    return f"{SECRET_PREFIX}{key_id}_{secrets.token_urlsafe(32)}"


def parse_communities(value: str | Iterable[str] | None) -> frozenset[str] | None:
    """``"a|b"`` or a list → validated ids; empty, None or ``*`` → every community."""
    if value is None:
        return None
    names = value.split("|") if isinstance(value, str) else list(value)
    names = [n.strip() for n in names if n.strip()]
    if not names or names == ["*"]:
        return None
    return frozenset(community_id(n) for n in names)


def parse_role(value: str) -> Role:
    if value not in ROLES:
        raise ValueError(f"unknown role {value[:20]!r}: use one of {', '.join(ROLES)}")
    return value  # type: ignore[return-value]


def parse_api_keys(value: str) -> dict[str, Principal]:
    """``SHEQUN_API_KEYS="KEY:ROLE[:COMMUNITY|COMMUNITY…],…"`` → secret hash → principal.
    Keys are named ``env-1``, ``env-2``… by position: nothing derived from the secret is shown."""
    keys: dict[str, Principal] = {}
    for position, item in enumerate((i.strip() for i in value.split(",") if i.strip()), start=1):
        secret, _, rest = item.partition(":")
        role, _, communities = rest.partition(":")
        if not secret or not role:
            raise ValueError(f"SHEQUN_API_KEYS item {position} is not KEY:ROLE[:COMMUNITY|…]")
        name = f"env-{position}"
        keys[hash_secret(secret)] = Principal(name, name, parse_role(role), parse_communities(communities))
    return keys


class Keyring:
    """Keys from settings and from the database, looked up by hash. The database's active keys
    are re-read at most every ``refresh`` seconds, so a revoked key stops working within that
    time in every worker without a query per request."""

    def __init__(
        self,
        settings_keys: dict[str, Principal],
        load: Callable[[], dict[str, Principal]],
        clock: Callable[[], float],
        refresh: float = 2.0,
    ) -> None:
        self._settings_keys, self._load, self._clock, self._refresh = settings_keys, load, clock, refresh
        self._stored: dict[str, Principal] = {}
        self._loaded_at: float | None = None

    def _keys(self) -> dict[str, Principal]:
        now = self._clock()
        if self._loaded_at is None or now - self._loaded_at >= self._refresh:
            self._stored, self._loaded_at = self._load(), now
        return self._stored

    def configured(self) -> bool:
        """False only when no key exists anywhere: the server is then open (loopback only)."""
        return bool(self._settings_keys) or bool(self._keys())

    def authenticate(self, secret: str) -> Principal | None:
        digest = hash_secret(secret)
        return self._settings_keys.get(digest) or self._keys().get(digest)
