"""Bootstrap confidence intervals for headline metrics, alone and paired with a baseline run.

Headline metrics are ratios of per-case score sums, so one resample is two column sums: 2,000
resamples of 700 cases cost milliseconds. The seed is fixed: the same run gives the same
interval, and two runs' intervals differ only because their cases did."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from evals.suite import Ratio

RESAMPLES = 2000
SEED = 20261205


def columns(metric: Ratio, scores: Sequence[dict[str, float]]) -> tuple[np.ndarray, np.ndarray | None]:
    num = np.array([s.get(metric.numerator, 0.0) for s in scores], dtype=float)
    den = None if metric.denominator is None else np.array([s.get(metric.denominator, 0.0) for s in scores])
    return num, den


def value(num: np.ndarray, den: np.ndarray | None) -> np.ndarray:
    """The metric over the last axis (0 where nothing is in the denominator, as the suites do)."""
    total = num.sum(axis=-1)
    if den is None:
        return total
    below = den.sum(axis=-1)
    return np.divide(total, below, out=np.zeros_like(total, dtype=float), where=below > 0)


def _indexes(n: int) -> np.ndarray:
    return np.random.default_rng(SEED).integers(0, n, size=(RESAMPLES, n))


def _interval(samples: np.ndarray) -> list[float]:
    low, high = np.percentile(samples, [2.5, 97.5])
    return [round(float(low), 4), round(float(high), 4)]


def headline(metric: Ratio, scores: Sequence[dict[str, float]]) -> dict[str, Any]:
    """The metric's value and its 95 % bootstrap interval over cases."""
    num, den = columns(metric, scores)
    point = round(float(value(num, den)), 4)
    if not len(num):
        return {"value": point, "ci95": [point, point]}
    idx = _indexes(len(num))
    return {"value": point, "ci95": _interval(value(num[idx], None if den is None else den[idx]))}


def paired_delta(
    metric: Ratio, current: Sequence[dict[str, float]], baseline: Sequence[dict[str, float]]
) -> dict[str, Any]:
    """current − baseline over the cases both runs share (aligned by the caller), with the 95 %
    interval of a paired bootstrap: each resample draws the same cases from both runs."""
    (cn, cd), (bn, bd) = columns(metric, current), columns(metric, baseline)
    point = round(float(value(cn, cd) - value(bn, bd)), 4)
    if not len(cn):
        return {"delta": point, "ci95": [point, point]}
    idx = _indexes(len(cn))
    samples = value(cn[idx], None if cd is None else cd[idx]) - value(bn[idx], None if bd is None else bd[idx])
    return {"delta": point, "ci95": _interval(samples)}
