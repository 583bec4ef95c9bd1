"""Group health (0–100) from four components, each 0–100, per day and for the window.

activity: members active on a day against all members seen (half of them daily counts as full
marks); sentiment: 50 + 50 × (positive share − negative share); risk: 100 − 500 × risky share
(a fifth of messages risky scores 0); responsiveness: questions and complaints answered by staff
within the target (only with a staff list). Missing components are left out of the mean."""

from __future__ import annotations

from assistant.sentiment.aggregate import Bucket
from assistant.sentiment.models import Health

WEIGHTS = {"activity": 0.25, "sentiment": 0.35, "risk": 0.2, "responsiveness": 0.2}
FULL_PARTICIPATION = 0.5


def components(bucket: Bucket, members: int, responsiveness: float | None) -> dict[str, float | None]:
    n = max(bucket.messages, 1)
    return {
        "activity": round(100 * min(1.0, len(bucket.members) / max(members, 1) / FULL_PARTICIPATION), 1),
        "sentiment": round(50 + 50 * (bucket.positive - bucket.negative) / n, 1),
        "risk": round(max(0.0, 100 - 500 * bucket.risky / n), 1),
        "responsiveness": None if responsiveness is None else round(100 * responsiveness, 1),
    }


def score(parts: dict[str, float | None]) -> float:
    present = {k: v for k, v in parts.items() if v is not None}
    weight = sum(WEIGHTS[k] for k in present)
    return round(sum(WEIGHTS[k] * v for k, v in present.items()) / weight, 1) if weight else 0.0


def health(days: dict[str, Bucket], members: int, responsiveness: float | None) -> Health:
    """The window's score is the mean of its days' components (activity is a daily measure)."""
    daily = [(day, components(bucket, members, None)) for day, bucket in sorted(days.items())]
    mean: dict[str, float | None] = {
        k: round(sum(p[k] or 0.0 for _, p in daily) / len(daily), 1) if daily else 0.0
        for k in ("activity", "sentiment", "risk")
    }
    mean["responsiveness"] = None if responsiveness is None else round(100 * responsiveness, 1)
    scores = [score(p) for _, p in daily]
    by_day = [{"day": day, "score": s, **p} for (day, p), s in zip(daily, scores, strict=True)]
    change = round(scores[-1] - scores[0], 1) if len(scores) >= 2 else None
    return Health(score=score(mean), components=mean, by_day=by_day, change=change)
