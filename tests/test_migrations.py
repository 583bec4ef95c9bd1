"""The schema comes from Alembic migrations: they match the models (a model changed without a
migration fails here), a database made by the old ``create_all`` is adopted with its rows, and
workers starting together on a new database migrate it once."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, inspect, text

from assistant.store import db
from assistant.store.question_log import LoggedQuestion, QuestionLog
from assistant.store.schema import metadata
from tests.conftest import run_cli

HEAD = ScriptDirectory.from_config(db.alembic_config()).get_current_head()
TABLES = {"api_keys", "audit_log", "drafts", "draft_audit", "posting_plans", "question_log"}


def _differences(url: str) -> list[object]:
    with db.connect(url).connect() as connection:
        return compare_metadata(MigrationContext.configure(connection), metadata)


def test_the_migrated_schema_is_the_models_schema(database_url: str) -> None:
    engine = db.engine_for(database_url)
    assert db.current(engine) == HEAD
    assert set(inspect(engine).get_table_names()) >= TABLES
    assert set(metadata.tables) == TABLES  # every model has its table in the migrations
    assert _differences(database_url) == []


def test_a_create_all_database_is_adopted_with_its_rows(database_url: str) -> None:
    old = create_engine(database_url)
    metadata.create_all(old, tables=[metadata.tables["question_log"], metadata.tables["audit_log"]])
    at = dt.datetime(2026, 12, 1, tzinfo=dt.UTC)
    with old.begin() as connection:
        connection.execute(
            metadata.tables["question_log"].insert(),
            [{"at": at, "community": "mombaby", "question": f"问{i}", "query": f"问{i}", "decision": "handoff",
              "reason": "r", "confidence": 0.1, "candidates": []} for i in range(3)],
        )  # fmt: skip
    old.dispose()
    assert db.current(db.connect(database_url)) is None

    log = QuestionLog(database_url)
    assert [row.question for row in log.rows()] == ["问0", "问1", "问2"]
    log.add(LoggedQuestion(at=at, community=None, question="新", query="新", decision="answer", reason="r",
                           confidence=0.9, candidates=[]))  # fmt: skip
    assert len(log.rows()) == 4
    assert db.current(db.engine_for(database_url)) == HEAD
    assert set(inspect(db.engine_for(database_url)).get_table_names()) >= TABLES
    assert _differences(database_url) == []


def test_workers_starting_together_migrate_once(database_url: str) -> None:
    code = "import sys; from assistant.store.db import engine_for; engine_for(sys.argv[1])"
    workers = [subprocess.Popen([sys.executable, "-c", code, database_url], stderr=subprocess.PIPE) for _ in range(4)]
    errors = [w.communicate(timeout=120)[1] for w in workers]
    assert [w.returncode for w in workers] == [0] * 4, errors
    with db.connect(database_url).connect() as connection:
        assert connection.execute(text("SELECT version_num FROM alembic_version")).scalars().all() == [HEAD]
    assert _differences(database_url) == []


def test_cli_db_current_and_upgrade(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    before = run_cli("db", "current", data_dir=tmp_path, SHEQUN_DATABASE_URL=url)
    assert before.returncode == 0 and json.loads(before.stdout) == {
        "database": url, "revision": None, "head": HEAD, "up_to_date": False,
    }  # fmt: skip
    upgraded = run_cli("db", "upgrade", data_dir=tmp_path, SHEQUN_DATABASE_URL=url)
    assert upgraded.returncode == 0 and json.loads(upgraded.stdout)["revision"] == HEAD
    assert json.loads(run_cli("db", "current", data_dir=tmp_path, SHEQUN_DATABASE_URL=url).stdout)["up_to_date"]
    unknown = run_cli("db", "upgrade", "9999", data_dir=tmp_path, SHEQUN_DATABASE_URL=url)
    assert unknown.returncode == 2 and "9999" in unknown.stderr and "Traceback" not in unknown.stderr
    unreachable = "postgresql://shequn:secret@127.0.0.1:9/x"
    failed = run_cli("db", "current", data_dir=tmp_path, SHEQUN_DATABASE_URL=unreachable)
    assert failed.returncode == 2 and "secret" not in failed.stdout + failed.stderr
    assert "Traceback" not in failed.stderr and "127.0.0.1" in failed.stderr
