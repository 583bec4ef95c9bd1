"""The shape a suite implements to run through ``evals.runner``: dataset × target × scorers.

- **dataset**: a pydantic case model (one JSONL line each, schema-validated; bad lines are
  reported, none aborts) and the shipped file; ``expected_fields`` names the case fields that
  are the answer key, the rest is the input.
- **target**: built from the process's ``Services`` and the run's ``Options``; takes a batch of
  cases and returns, per case, what the task did (``actual``: a JSON-able dict).
- **scorers**: small named functions ``(case, actual) -> {score: number}``; a case ``passed``
  when the suite's ``passed(scores)`` says so.
- **headline metrics**: ratios of summed per-case scores, so the runner can bootstrap their
  confidence intervals and pair them with a baseline run case by case.
- **details**: the suite's full metrics dict (names kept stable across versions), computed
  from flat rows (case fields + actual); ``extra`` adds metrics measured beside the cases (a
  false-alarm budget on ordinary traffic, a held-out corpus); ``markdown`` renders the suite's
  own report body."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from pydantic import BaseModel

from evals.dataset import Dataset, load_jsonl

if TYPE_CHECKING:
    from assistant.services import Services

C = TypeVar("C", bound=BaseModel)
Row = dict[str, Any]
Target = Callable[[Sequence[Any]], list[Row]]


@dataclass(frozen=True)
class Options:
    """What a reviewer may change about a run besides its data."""

    #: The community whose policy the task runs under (None: the default one).
    community: str | None = None
    #: Ordinary traffic for the moderation suite's false-alarm budget.
    benign: Path | None = None
    #: The run is on the suite's shipped data (extras tied to it are measured too).
    shipped: bool = True


@dataclass(frozen=True)
class Scorer:
    name: str
    score: Callable[[Any, Row], dict[str, float]]


@dataclass(frozen=True)
class Ratio:
    """A headline metric: Σ numerator score / Σ denominator score over the cases, or the plain
    sum when there is no denominator (a count such as risky questions answered)."""

    name: str
    numerator: str
    denominator: str | None = None
    higher_is_better: bool = True


@dataclass(frozen=True)
class Suite(Generic[C]):
    name: str
    title: str
    #: A pydantic model, or an annotated union of them (each line validated by TypeAdapter).
    case_model: Any
    #: A JSONL file or a folder of them (``load`` reads other layouts).
    default_data: Path
    expected_fields: tuple[str, ...]
    build: Callable[[Services, Options], Target]
    scorers: tuple[Scorer, ...]
    headline: tuple[Ratio, ...]
    passed: Callable[[dict[str, float]], bool]
    details: Callable[[list[Row]], dict[str, Any]]
    markdown: Callable[[dict[str, Any], dict[str, Any], list[Row]], str]
    #: (expected label, actual label) of a flat row, for the confusion matrix; None: no labels.
    labels: Callable[[Row], tuple[str, str]] | None = None
    #: The suite reads the knowledge base, so the runner ingests knowledge first.
    needs_knowledge: bool = False
    #: The target calls the chat model when one is configured (run.json then names it).
    uses_llm: bool = False
    #: Settings that change this suite's numbers (recorded in run.json).
    settings: tuple[str, ...] = ()
    #: Metrics measured beside the cases, merged into the suite's metrics.
    extra: Callable[[Services, Options], dict[str, Any]] | None = None
    #: Reads the dataset (default: JSONL lines of ``case_model``).
    load: Callable[[Path], Dataset[Any]] | None = None
    #: Cases may come from a reviewer's upload (False when a case names a file to read).
    uploadable: bool = True
    #: The target's chat model replays this recording (the LLM path, offline and reproducible).
    recording: Path | None = None

    def score(self, case: C, actual: Row) -> dict[str, float]:
        scores: dict[str, float] = {}
        for scorer in self.scorers:
            scores.update(scorer.score(case, actual))
        return scores

    def read(self, path: Path) -> Dataset[Any]:
        return self.load(path) if self.load is not None else load_jsonl(path, self.case_model)

    def split(self, case: C) -> tuple[Row, Row]:
        """(input, expected) of a case."""
        data = case.model_dump(mode="json")
        expected = {k: data.pop(k) for k in self.expected_fields if k in data}
        return data, expected


def flag(value: object) -> float:
    return 1.0 if value else 0.0
