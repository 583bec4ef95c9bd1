"""API keys kept in the database (``shequn keys create|list|revoke``): only the secret's sha256
is stored; the secret itself is shown once, when the key is created."""

from __future__ import annotations

import datetime as dt
import secrets

from sqlalchemy import JSON, DateTime, String, select
from sqlalchemy.orm import Mapped, mapped_column

from assistant.access import Principal, Role, hash_secret, new_secret
from assistant.clock import Clock, as_utc, utc_now
from assistant.store.db import Base, sessions


class ApiKey(Base):
    __tablename__ = "api_keys"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(128))
    secret_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    role: Mapped[str] = mapped_column(String(16))
    communities: Mapped[list[str] | None] = mapped_column(JSON, doc="None: every community.")
    rate_limit: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), default=None)

    def principal(self) -> Principal:
        scope = frozenset(self.communities) if self.communities is not None else None
        return Principal(self.id, self.name, self.role, scope, self.rate_limit)  # type: ignore[arg-type]

    def public(self) -> dict[str, object]:
        """Everything about the key but its hash."""
        return {
            "id": self.id,
            "name": self.name,
            "role": self.role,
            "communities": self.communities,
            "rate_limit": self.rate_limit,
            "created_at": as_utc(self.created_at).isoformat(),
            "revoked_at": as_utc(self.revoked_at).isoformat() if self.revoked_at else None,
        }


class KeyStore:
    def __init__(self, database_url: str, now: Clock = utc_now) -> None:
        self._sessions = sessions(database_url)
        self.now = now

    def create(
        self, name: str, role: Role, communities: frozenset[str] | None, rate_limit: str | None = None
    ) -> tuple[ApiKey, str]:
        """The new key and its secret (returned once, never stored)."""
        key_id = secrets.token_hex(6)
        secret = new_secret(key_id)
        scope = sorted(communities) if communities is not None else None
        row = ApiKey(
            id=key_id,
            name=name,
            secret_sha256=hash_secret(secret),
            role=role,
            communities=scope,
            rate_limit=rate_limit,
            created_at=self.now(),
        )
        with self._sessions.begin() as session:
            session.add(row)
        return row, secret

    def list(self, include_revoked: bool = False) -> list[ApiKey]:
        query = select(ApiKey).order_by(ApiKey.created_at, ApiKey.id)
        if not include_revoked:
            query = query.where(ApiKey.revoked_at.is_(None))
        with self._sessions() as session:
            return list(session.scalars(query))

    def revoke(self, key_id: str) -> ApiKey | None:
        """The revoked key, or None when no active key has this id."""
        with self._sessions.begin() as session:
            row = session.get(ApiKey, key_id)
            if row is None or row.revoked_at is not None:
                return None
            row.revoked_at = self.now()
            return row

    def active(self) -> dict[str, Principal]:
        """Secret hash → principal, for ``Keyring``."""
        return {row.secret_sha256: row.principal() for row in self.list()}
