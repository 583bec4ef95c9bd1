"""The community registry: which communities exist, what "no community given" means, and
each one's profile, policies and files. Ids are validated by ``assistant.ids`` (re-exported)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path

import yaml

from assistant import access
from assistant.answering.policy import AnsweringPolicy
from assistant.config_files import load_yaml_model
from assistant.ids import COMMUNITY_RE, GLOBAL, RESERVED, InvalidCommunity, UnknownCommunity, community_id, inside
from assistant.knowledge.models import CommunityProfile
from assistant.listing import Listing
from assistant.moderation.policy import Policy
from assistant.settings import Settings

__all__ = ["GLOBAL", "RESERVED", "Communities", "InvalidCommunity", "UnknownCommunity", "community_id", "inside"]

#: The file a community's trained moderation classifier is saved in.
MODEL_SUFFIX = ".npz"


#: Folders of ``data_dir`` whose ``<community>.*`` files make a community known.
CONFIG_FOLDERS = ("communities", "moderation", "answering")


class Communities:
    """The one registry of communities: which exist, what "no community given" means, and
    where each one's files live. Every entry point resolves a community here once; nothing
    below it builds a path or a cache entry for a name that did not pass."""

    def __init__(self, settings: Settings, indexed: Callable[[], Iterable[str]] = lambda: ()) -> None:
        self.settings = settings
        self._indexed = indexed
        self._configured = Listing(self._read_configured)

    def known(self) -> list[str]:
        """Communities with indexed knowledge, a profile, a policy or a trained model."""
        names = set(self._indexed()) | self._configured.get()
        return sorted(n for n in names if n not in RESERVED and COMMUNITY_RE.fullmatch(n))

    def _read_configured(self) -> tuple[set[str], list[Path]]:
        folders = [self.settings.data_dir / folder for folder in CONFIG_FOLDERS]
        names = {p.name.split(".", 1)[0] for root in folders if root.is_dir() for p in root.iterdir() if p.is_file()}
        return names, folders

    def resolve(self, value: str | None) -> str | None:
        """The community a request means: its own, else the one its key is scoped to, else
        ``SHEQUN_DEFAULT_COMMUNITY``, else None (all communities). Raises ``InvalidCommunity``,
        ``OutOfScope`` (before existence is checked: a key learns nothing of other communities)
        or ``UnknownCommunity``."""
        if value is None:
            value = access.default_community() or self.settings.default_community
        if value is None:
            access.check(None)
            return None
        community = community_id(value)
        access.check(community)
        if community not in self.known():
            raise UnknownCommunity(community)
        return community

    def path(self, folder: str, community: str, suffix: str) -> Path:
        """``<data_dir>/<folder>/<community><suffix>`` for a valid id, never outside it."""
        return inside(self.settings.data_dir / folder, community_id(community) + suffix)

    def profile(self, community: str | None) -> CommunityProfile | None:
        if community is None:
            return None
        path = self.path("communities", community, ".yaml")
        return load_yaml_model(CommunityProfile, path) if path.exists() else None

    def save_profiles(self, profiles: Iterable[CommunityProfile]) -> list[str]:
        """Profiles read at ingest are kept with the data, so a server finds a community's
        tone, plan and own contacts without the knowledge folder."""
        saved = []
        for profile in profiles:
            path = self.path("communities", profile.id, ".yaml")
            path.parent.mkdir(parents=True, exist_ok=True)
            text = yaml.safe_dump(profile.model_dump(mode="json"), allow_unicode=True, sort_keys=False)
            if not path.exists() or path.read_text(encoding="utf-8") != text:
                path.write_text(text, encoding="utf-8")
            saved.append(profile.id)
        return saved

    def moderation_policy(self, community: str | None) -> Policy:
        return load_yaml_model(Policy, self.path("moderation", community, ".yaml") if community else None)

    def answering_policy(self, community: str | None) -> AnsweringPolicy:
        return load_yaml_model(AnsweringPolicy, self.path("answering", community, ".yaml") if community else None)

    def model_path(self, community: str) -> Path:
        """Where the community's own moderation classifier is kept."""
        return self.path("moderation", community, MODEL_SUFFIX)
