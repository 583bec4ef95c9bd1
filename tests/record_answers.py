"""Records the answers suite against the local stub server (tests/stub_openai.py) playing a
scripted model, so CI replays the whole LLM path offline: prompts rendered, structured output
parsed and validated, citations checked, fallbacks taken. Re-record after changing a prompt:

    .venv/bin/python -m tests.record_answers [FOLDER]   # default evals/recordings/answers-stub

The script: by a stable hash of the question, one question in ten gets off-schema output and
one cites an entry it was not shown (both must fall back to the offline engine), one is handed
off; the rest cite the passage sharing most characters with the question."""

from __future__ import annotations

import gzip
import hashlib
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

from assistant.llm.recorded import REQUESTS, REQUESTS_GZ
from assistant.settings import PROJECT_ROOT
from tests.conftest import BIN, cli_env
from tests.stub_openai import serve_stub

DEFAULT_FOLDER = PROJECT_ROOT / "evals" / "recordings" / "answers-stub"
MODEL = "stub-scripted"
#: The key the recording is made with: tests check it never reaches the recording.
KEY = "sk-stub-never-recorded"


def _fenced(text: str, start: str, end: str) -> str:
    found = re.search(f"<<<{start}>>>\n(.*?)\n<<<{end}>>>", text, re.S)
    return found.group(1) if found else ""


def reply(body: dict[str, Any]) -> dict[str, Any]:
    """The scripted model's JSON for one request (the schema name says which task it is)."""
    user = body["messages"][-1]["content"]
    if body["response_format"]["json_schema"]["name"] == "Rewritten":
        history = _fenced(user, "对话记录开始", "对话记录结束").splitlines()
        return {"query": f"{history[-1].split('：', 1)[-1] if history else ''} {_fenced(user, '追问开始', '追问结束')}"}
    question = _fenced(user, "问题开始", "问题结束")
    passages = re.findall(r"\[id: ([^\]]+)\]\n问题：(.*)\n答案：(.*)", _fenced(user, "资料开始", "资料结束"))
    bucket = int(hashlib.md5(question.encode()).hexdigest(), 16) % 10
    if bucket == 0:
        return {"decision": "maybe"}
    if bucket == 1:
        return {"answer": "可以的。", "citations": ["not-shown-001"], "confidence": 0.9, "needs_handoff": False}
    if bucket == 2 or not passages:
        return {"answer": "这个问题我请管理员来回答。", "confidence": 0.2, "needs_handoff": True, "reason": "资料不足"}
    best = max(passages, key=lambda p: len(set(question) & set(p[1])))
    return {"answer": best[2][:200], "citations": [best[0]], "confidence": 0.8, "needs_handoff": False}


def record(folder: Path, data_dir: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    """``shequn eval answers --record FOLDER`` against the stub, as a user would run it."""
    with serve_stub() as (stub, url):
        stub.chat_reply = reply
        env = cli_env(data_dir, SHEQUN_LLM="openai", SHEQUN_OPENAI_BASE_URL=url, SHEQUN_CHAT_MODEL=MODEL,
                      SHEQUN_OPENAI_API_KEY=KEY, SHEQUN_LLM_RETRIES="0")  # fmt: skip
        command = [str(BIN / "shequn"), "eval", "answers", "--record", str(folder), *extra]
        return subprocess.run(command, capture_output=True, text=True, env=env, timeout=600)


if __name__ == "__main__":
    import tempfile

    target = Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_FOLDER
    with tempfile.TemporaryDirectory() as tmp:
        done = record(target, Path(tmp), "--report", str(Path(tmp) / "report"))
    sys.stderr.write(done.stderr)
    if done.returncode == 0:  # shipped gzipped: mtime 0 keeps an unchanged recording byte-identical
        plain = target / REQUESTS
        (target / REQUESTS_GZ).write_bytes(gzip.compress(plain.read_bytes(), mtime=0))
        plain.unlink()
    sys.exit(done.returncode)
