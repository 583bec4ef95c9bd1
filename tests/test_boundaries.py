"""The layering the README promises, checked from the source: ``assistant`` never imports the
API, the CLI or the evals; one module per outside system."""

from __future__ import annotations

import ast
from pathlib import Path

from assistant.settings import PROJECT_ROOT

ASSISTANT = PROJECT_ROOT / "assistant"


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def _importers(prefixes: tuple[str, ...]) -> set[str]:
    return {
        str(path.relative_to(PROJECT_ROOT))
        for path in ASSISTANT.rglob("*.py")
        if any(name == p or name.startswith(p + ".") for name in _imports(path) for p in prefixes)
    }


def test_assistant_never_imports_the_layers_above_it() -> None:
    assert _importers(("api", "shequn", "evals", "fastapi", "starlette", "typer")) == set()


def test_only_the_llm_seam_imports_an_llm_sdk() -> None:
    assert _importers(("openai", "langchain_openai")) == {"assistant/llm/openai_compat.py"}


def test_only_the_vector_store_imports_chromadb() -> None:
    assert _importers(("chromadb",)) == {"assistant/retrieval/vector_store.py"}


def test_only_the_integration_imports_langchain() -> None:
    assert _importers(("langchain_core", "langchain")) == {"assistant/integrations/langchain.py"}
