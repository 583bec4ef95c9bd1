"""Schemathesis against our own OpenAPI document, in process, with a valid admin key: no 5xx,
every status and body as documented. A short run here; ``make fuzz`` runs more examples
(``FUZZ_EXAMPLES``)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from api.app import create_app
from assistant.knowledge.loader import load_knowledge
from assistant.services import Services
from tests.access_helpers import write_knowledge
from tests.conftest import make_settings

KEY = "fuzz-admin-key"
EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "15"))


@pytest.fixture(scope="module")
def fuzz_schema(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    root: Path = tmp_path_factory.mktemp("fuzz")
    write_knowledge(root / "knowledge")
    services = Services(make_settings(root / "data", api_keys=f"{KEY}:admin", rate_limit=""))
    services.ingest(load_knowledge(root / "knowledge"))
    return schemathesis.openapi.from_asgi("/openapi.json", create_app(services=services))


schema = schemathesis.pytest.from_fixture("fuzz_schema")


@schema.parametrize()
@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
def test_the_api_keeps_its_openapi_promises(case) -> None:  # type: ignore[no-untyped-def]
    case.call_and_validate(
        headers={"Authorization": f"Bearer {KEY}"},
        checks=[not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance],
    )
