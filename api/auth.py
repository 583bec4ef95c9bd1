"""Who may call what: API keys (``Authorization: Bearer …``), roles and per-key rate limits,
checked for every request before any route runs (so a route added later is covered too).

Roles come from one declarative table keyed by method and path prefix; a path the table does
not name is admin-only. Community scope is not checked here but where a community is resolved
(``assistant.access``), so it holds for every route that names one."""

from __future__ import annotations

import ipaddress
import logging
import math
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

from limits import RateLimitItem, parse_many
from starlette.types import ASGIApp, Receive, Scope, Send

from api.errors import send_error
from assistant import access
from assistant.access import Caller, Keyring, Principal, Role

log = logging.getLogger("shequn.auth")
#: Paths anyone may call: liveness, metrics and the API's own documentation.
OPEN_PATHS = ("/healthz", "/metrics", "/docs", "/openapi.json", "/docs-assets")
#: Where the request's ``Caller`` is kept in the ASGI scope (for the access log and audit).
CALLER = "shequn.caller"


@dataclass(frozen=True)
class Rule:
    """``roles`` may call ``method`` (``*``: any) on ``prefix`` and below; admin always may.
    ``writes`` (default: any method but GET/HEAD) puts the call in the audit log."""

    method: str
    prefix: str
    roles: frozenset[Role]
    writes: bool | None = None


def _rule(method: str, prefix: str, *roles: Role, writes: bool | None = None) -> Rule:
    return Rule(method, prefix, frozenset(roles), writes)


RULES: tuple[Rule, ...] = (
    _rule("GET", "/v1/models", "operator", "bot", "reviewer"),
    _rule("*", "/v1/knowledge", "operator"),
    _rule("*", "/v1/policies", "operator"),
    _rule("*", "/v1/drafts", "operator"),
    _rule("*", "/v1/plans", "operator"),
    _rule("*", "/v1/communities", "operator"),
    _rule("*", "/v1/calendar", "operator"),
    _rule("*", "/v1/reports", "operator"),
    _rule("GET", "/v1/reports", "operator", "reviewer"),
    _rule("*", "/v1/sentiment/summaries", "operator"),
    _rule("GET", "/v1/sentiment/summaries", "operator", "reviewer"),
    _rule("POST", "/v1/answers", "bot", writes=False),
    _rule("POST", "/v1/chat/completions", "bot", writes=False),
    _rule("POST", "/v1/moderations", "bot", writes=False),
    _rule("POST", "/v1/sentiment/classify", "bot", writes=False),
    _rule("*", "/v1/posts", "bot", "operator"),
    _rule("*", "/v1/evals", "reviewer"),
    _rule("*", "/v1/audit"),
)
ADMIN_ONLY = Rule("*", "/", frozenset())
READ_METHODS = ("GET", "HEAD", "OPTIONS")


def _under(path: str, prefix: str) -> bool:
    return path == prefix or path.startswith(prefix.rstrip("/") + "/")


@lru_cache(maxsize=4096)
def rule_for(method: str, path: str) -> Rule:
    """The most specific rule: longest prefix, then a named method over ``*``."""
    matching = [r for r in RULES if r.method in ("*", method) and _under(path, r.prefix)]
    return max(matching, key=lambda r: (len(r.prefix), r.method != "*"), default=ADMIN_ONLY)


def allowed_roles(method: str, path: str) -> list[str]:
    return ["admin", *sorted(rule_for(method, path).roles)]


def writes(method: str, path: str) -> bool:
    rule = rule_for(method, path)
    return rule.writes if rule.writes is not None else method not in READ_METHODS


def is_open(path: str) -> bool:
    return any(_under(path, p) for p in OPEN_PATHS)


class RateLimits:
    """Per-key moving windows in memory (one process: each worker counts its own): for each key
    and limit, the times of its last ``amount`` requests. A request is refused while the oldest
    of them is still inside the window, and told to retry when it leaves.

    ``limits`` parses the limits; its ``MemoryStorage`` is not used: it starts a thread every
    10 ms to expire entries and inserts each hit at the front of a list, 0.1–0.15 ms of CPU a
    request (a sixth of a moderation request)."""

    def __init__(self, default: str, clock: Callable[[], float] = time.monotonic) -> None:
        self._default = parse_many(default) if default else []
        self._parsed: dict[str, list[RateLimitItem]] = {}
        self._hits: dict[tuple[str, str], deque[float]] = {}
        self._clock = clock
        self._lock = threading.Lock()

    def _items(self, principal: Principal) -> list[RateLimitItem]:
        if principal.rate_limit is None:
            return self._default
        if principal.rate_limit not in self._parsed:
            self._parsed[principal.rate_limit] = parse_many(principal.rate_limit)
        return self._parsed[principal.rate_limit]

    def retry_after(self, principal: Principal) -> int | None:
        """None if the request may go ahead (and counts it), else seconds to wait. As with
        ``limits``, a request refused by one limit still counts against those checked before it."""
        now = self._clock()
        with self._lock:
            for item in self._items(principal):
                hits = self._hits.get((principal.key_id, item.key_for()))
                if hits is None:
                    hits = self._hits[(principal.key_id, item.key_for())] = deque(maxlen=item.amount)
                window = item.get_expiry()
                if len(hits) == item.amount and hits[0] >= now - window:
                    return max(1, math.ceil(hits[0] + window - now))
                hits.append(now)
        return None


class Gate:
    """Pure ASGI: authenticates, authorises by role, rate-limits and binds the caller."""

    def __init__(self, app: ASGIApp, keyring: Keyring, limits: RateLimits) -> None:
        self.app, self.keyring, self.limits = app, keyring, limits

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path, method = scope["path"], scope["method"]
        principal = self._principal(scope)
        caller = Caller(principal)
        scope[CALLER] = caller
        access.bind(caller)
        if not is_open(path):
            if principal is None:
                headers = {"WWW-Authenticate": "Bearer"}
                await send_error(
                    scope, send, 401, "unauthorized", "send a valid API key: Authorization: Bearer KEY", headers
                )
                return
            roles = allowed_roles(method, path)
            if principal.role not in roles:
                shown = path[:200]
                message = f"role {principal.role} may not call {method} {shown}; roles allowed: {', '.join(roles)}"
                await send_error(scope, send, 403, "forbidden", message)
                return
            wait = self.limits.retry_after(principal) if principal is not access.OPEN else None
            if wait is not None:
                message = f"rate limit of key {principal.key_id} reached; retry in {wait} s"
                await send_error(scope, send, 429, "rate_limited", message, {"Retry-After": str(wait)})
                return
        await self.app(scope, receive, send)

    def _principal(self, scope: Scope) -> Principal | None:
        """The key's principal; ``OPEN`` when no key exists anywhere; None when unknown or absent."""
        if not self.keyring.configured():
            return access.OPEN
        header = dict(scope["headers"]).get(b"authorization", b"").decode("latin-1")
        kind, _, secret = header.partition(" ")
        if kind.lower() != "bearer" or not secret.strip():
            return None
        return self.keyring.authenticate(secret.strip())


def announce_open(keyring: Keyring, host: str, port: int) -> None:
    """Refuses (``ValueError``) to serve without keys on anything but loopback; says loudly
    that the API is open when it serves so on loopback."""
    if keyring.configured():
        return
    if not _loopback(host):
        raise ValueError(
            f"no API key is configured: refusing to serve on {host} (set SHEQUN_API_KEYS or run "
            "'shequn keys create', or bind to 127.0.0.1)"
        )
    log.warning(
        "NO API KEYS CONFIGURED: the API on http://%s:%s is OPEN and treats every request as admin. "
        "It only listens on loopback. Create a key with 'shequn keys create --name me --role admin' "
        "or set SHEQUN_API_KEYS=KEY:ROLE[:COMMUNITY|…]",
        host,
        port,
    )


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False
