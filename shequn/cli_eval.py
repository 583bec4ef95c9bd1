"""``shequn eval``: every suite through the one runner (``evals.runner``). Metrics JSON on
stdout; the run folder (run.json, cases.jsonl, report.md, report.html) in --report.

Exit codes: 0 done (and, with --gate, every threshold met); 1 a threshold not met or a
headline metric regressed against --baseline; 2 the run could not start (bad option,
unreadable data, a baseline that is not a run, a replay missing a request)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from shequn.jsonl import dumps

if TYPE_CHECKING:
    from assistant.llm.base import ChatModel
    from assistant.services import Services
    from evals.runner import Run
    from evals.suite import Options, Suite

eval_app = typer.Typer(
    no_args_is_help=True, help="Offline evaluation suites; metrics JSON on stdout, reports in --report."
)

Data = Annotated[Path | None, typer.Option(help="JSONL cases (default: the suite's shipped file).")]
Report = Annotated[Path | None, typer.Option(help="Folder for run.json, cases.jsonl, report.md and report.html.")]
Knowledge = Annotated[Path | None, typer.Option(help="Knowledge to ingest first (default: the sample knowledge/).")]
Baseline = Annotated[Path | None, typer.Option(help="A earlier --report folder to compare with, case by case.")]
Gate = Annotated[bool, typer.Option(help="Exit 1 when a metric is outside evals/thresholds.toml or regressed.")]
Thresholds = Annotated[Path | None, typer.Option(help="Thresholds file (default: evals/thresholds.toml).")]
Community = Annotated[str | None, typer.Option("--community", "-c", help="Run under this community's policy.")]


def _services(chat_model: ChatModel | None = None, offline: bool = False) -> Services:
    from assistant.services import Services
    from assistant.settings import get_settings

    settings = get_settings()
    if offline:
        settings = settings.model_copy(update={"llm": "offline"})
    return Services.from_settings(settings, chat_model=chat_model, log=False)


def _chat_model(record: Path | None, replay: Path | None) -> ChatModel | None:
    """The recording or replaying model --record / --replay ask for (None: the configured one)."""
    from assistant.llm import make_chat_model
    from assistant.llm.recorded import RecordingChatModel, ReplayChatModel
    from assistant.settings import get_settings

    if record and replay:
        raise ValueError("give --record or --replay, not both")
    if replay:
        return ReplayChatModel(replay)
    if record:
        inner = make_chat_model(get_settings())
        if inner is None:
            raise ValueError("--record needs a model: set SHEQUN_LLM=openai and SHEQUN_OPENAI_BASE_URL")
        return RecordingChatModel(inner, record)
    return None


def _run(suite: Suite[Any], services: Services, data: Path | None, knowledge: Path | None,
         options: Options | None = None) -> Run:  # fmt: skip
    from assistant.knowledge.loader import load_knowledge
    from assistant.llm.recorded import NotRecorded
    from evals import runner

    if suite.needs_knowledge:
        services.ingest(load_knowledge(knowledge or services.settings.knowledge_dir))
    if options is not None and options.community is not None:
        services.communities.resolve(options.community)  # a bad or unknown name: one line, exit 2
    try:
        return runner.execute(suite, services, data, services.now, options)
    except NotRecorded as exc:
        raise ValueError(f"replay: {exc}") from exc


def _print(run: Run, passed: bool) -> None:
    """One suite's summary on stdout; exit 1 when its gate failed."""
    typer.echo(dumps(run.summary()))
    if not passed:
        raise typer.Exit(1)


def _finish(run: Run, suite: Suite[Any], services: Services, report: Path | None, baseline: Path | None,
            gate: bool, thresholds: Path | None) -> bool:  # fmt: skip
    """Compares, gates and writes the run; True when the gate passed (or was not asked for)."""
    from evals import compare, runner
    from evals import thresholds as limits

    if baseline is not None:
        run.comparison = compare.compare(run, suite, baseline)
    if gate:
        run.gate = limits.gate(suite.name, run.metrics, limits.load(thresholds or limits.DEFAULT), run.comparison)
    folder = report or services.settings.data_dir / "reports" / f"{suite.name}-{services.now():%Y%m%dT%H%M%SZ}"
    runner.write(run, folder, suite)
    typer.echo(f"report: {folder / 'report.html'}", err=True)
    return run.gate is None or bool(run.gate["passed"])


def _one(name: str, data: Path | None, report: Path | None, knowledge: Path | None, baseline: Path | None,
         gate: bool, thresholds: Path | None, options: Options | None = None) -> None:  # fmt: skip
    """One suite offline: run, compare, gate, write, print."""
    from evals.suites import SUITES

    suite = SUITES[name]
    services = _services(offline=True)  # these suites measure the offline engines
    run = _run(suite, services, data, knowledge, options)
    _print(run, _finish(run, suite, services, report, baseline, gate, thresholds))


@eval_app.command("retrieval")
def eval_retrieval(data: Data = None, report: Report = None, knowledge: Knowledge = None, baseline: Baseline = None,
                   gate: Gate = False, thresholds: Thresholds = None) -> None:  # fmt: skip
    """Recall@1/@5, MRR, no-answer detection and latency of knowledge search."""
    _one("retrieval", data, report, knowledge, baseline, gate, thresholds)


@eval_app.command("moderation")
def eval_moderation(
    data: Data = None, report: Report = None, baseline: Baseline = None, gate: Gate = False,
    thresholds: Thresholds = None, community: Community = None,
    benign: Annotated[
        Path | None, typer.Option(help="Ordinary traffic, {text} lines: adds false alarms per 1,000 messages.")
    ] = None,
) -> None:  # fmt: skip
    """Per-category P/R/F1, risky F1, confusion, false positives, latency (and evasion stats);
    with --benign the false-alarm budget on ordinary traffic."""
    from evals.suite import Options

    options = Options(community=community, benign=benign, shipped=data is None)
    _one("moderation", data, report, None, baseline, gate, thresholds, options)


@eval_app.command("evasion")
def eval_evasion(data: Data = None, report: Report = None, baseline: Baseline = None, gate: Gate = False,
                 thresholds: Thresholds = None, community: Community = None) -> None:  # fmt: skip
    """Disguised risky messages caught in the right category, by technique; look-alike false alarms."""
    from evals.suite import Options

    _one("evasion", data, report, None, baseline, gate, thresholds, Options(community=community, shipped=data is None))


@eval_app.command("drafts")
def eval_drafts(data: Data = None, report: Report = None, knowledge: Knowledge = None, baseline: Baseline = None,
                gate: Gate = False, thresholds: Thresholds = None) -> None:  # fmt: skip
    """Offline drafts pass every check with every required fact; planted violations stopped by the
    right check; clean posts pass. --data: a JSONL of briefs and/or posts, or a folder of them."""
    _one("drafts", data, report, knowledge, baseline, gate, thresholds)


@eval_app.command("sentiment")
def eval_sentiment(data: Data = None, report: Report = None, baseline: Baseline = None, gate: Gate = False,
                   thresholds: Thresholds = None) -> None:  # fmt: skip
    """Accuracy, macro-F1, per-label P/R/F1, confusion, per phenomenon; held-out review accuracy."""
    _one("sentiment", data, report, None, baseline, gate, thresholds)


@eval_app.command("summaries")
def eval_summaries(data: Data = None, report: Report = None, baseline: Baseline = None, gate: Gate = False,
                   thresholds: Thresholds = None) -> None:  # fmt: skip
    """Planted facts surfaced, unsupported claims, staff never at risk (--data: a folder of
    logNN.jsonl + logNN.facts.json)."""
    _one("summaries", data, report, None, baseline, gate, thresholds)


@eval_app.command("answers")
def eval_answers(
    data: Data = None, report: Report = None, knowledge: Knowledge = None, baseline: Baseline = None,
    gate: Gate = False, thresholds: Thresholds = None,
    calibrate: Annotated[
        bool, typer.Option(help="Instead: choose answering thresholds on --data (default: the retrieval suite).")
    ] = False,
    record: Annotated[Path | None, typer.Option(help="Record every model request and response here.")] = None,
    replay: Annotated[Path | None, typer.Option(help="Answer model requests from a --record folder.")] = None,
) -> None:  # fmt: skip
    """Correct citations, handoffs on unanswerable questions, risky questions never answered, latency."""
    from assistant.knowledge.loader import load_knowledge
    from evals import answers
    from evals.suites import SUITES

    suite, services = SUITES["answers"], _services(_chat_model(record, replay))
    if calibrate:
        services.ingest(load_knowledge(knowledge or services.settings.knowledge_dir))
        typer.echo(dumps(answers.calibrate(services.answerer, data or answers.CALIBRATION_DATA)))
        return
    run = _run(suite, services, data, knowledge)
    if record or replay:
        run.header["recording"] = {"record" if record else "replay": str(record or replay)}
    _print(run, _finish(run, suite, services, report, baseline, gate, thresholds))


@eval_app.command("answers_llm")
def eval_answers_llm(data: Data = None, report: Report = None, knowledge: Knowledge = None,
                     baseline: Baseline = None, gate: Gate = False, thresholds: Thresholds = None) -> None:  # fmt: skip
    """The answers suite on the LLM path, replaying the shipped stub recording offline: risky
    questions answered by the model (must be 0), fallbacks, citations."""
    _one("answers_llm", data, report, knowledge, baseline, gate, thresholds)


@eval_app.command("all")
def eval_all(
    report: Annotated[Path | None, typer.Option(help="Folder holding one run folder per suite.")] = None,
    baseline: Annotated[Path | None, typer.Option(help="An earlier `eval all --report` folder.")] = None,
    knowledge: Knowledge = None, gate: Gate = False, thresholds: Thresholds = None,
) -> None:  # fmt: skip
    """Every registered suite on its shipped data, offline (the configured LLM is not used)."""
    from evals.suites import SUITES

    services = _services(offline=True)
    root = report or services.settings.data_dir / "reports" / f"all-{services.now():%Y%m%dT%H%M%SZ}"
    results, passed = {}, True
    for name, suite in SUITES.items():
        run = _run(suite, services, None, knowledge)
        passed &= _finish(run, suite, services, root / name, baseline / name if baseline else None, gate, thresholds)
        results[name] = run.summary()
        typer.echo(f"{name}: {run.metrics['headline']}", err=True)
    typer.echo(dumps({"suites": results, "passed": passed}))
    if not passed:
        raise typer.Exit(1)
