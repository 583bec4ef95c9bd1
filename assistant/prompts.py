"""Prompts are versioned data files (``prompts/<task>/v<N>.yaml``): strict variables, untrusted
text fenced by the template, and every output records ``task@version``."""

from __future__ import annotations

import string
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import yaml


class PromptError(ValueError):
    """A prompt file is missing, malformed, or was rendered with wrong variables."""


@dataclass(frozen=True)
class Prompt:
    name: str
    version: int
    system: str
    user: str

    @property
    def ref(self) -> str:
        return f"{self.name}@v{self.version}"

    def render(self, **values: str) -> list[dict[str, str]]:
        """Chat messages; every variable must be given and no other (a typo is an error, not
        an empty hole in the prompt). Braces in values are harmless: substitution is one pass."""
        expected = {f for _, f, _, _ in string.Formatter().parse(self.user) if f}
        if set(values) != expected:
            raise PromptError(f"{self.ref}: expected variables {sorted(expected)}, got {sorted(values)}")
        return [{"role": "system", "content": self.system}, {"role": "user", "content": self.user.format(**values)}]


@cache
def load_prompt(prompts_dir: Path, name: str, version: int) -> Prompt:
    path = prompts_dir / name / f"v{version}.yaml"
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
        return Prompt(name=raw["name"], version=int(raw["version"]), system=raw["system"], user=raw["user"])
    except (OSError, yaml.YAMLError, KeyError, TypeError, ValueError) as exc:
        raise PromptError(f"cannot load prompt {path}: {exc}") from exc
