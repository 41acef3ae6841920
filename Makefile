# 信融 Xinrong — the two commands: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cksum pyproject.toml | cut -d' ' -f1)
# Two pytest workers (pytest-xdist), each with its own PostgreSQL cluster and templates.
TEST_WORKERS ?= 2

.PHONY: run test fuzz lint format schema clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	rm -f $(VENV)/.installed-*
	touch $(STAMP)

## Serve the API and web page on http://127.0.0.1:8000/ with an embedded SQLite and demo data.
run: $(STAMP)
	$(BIN)/xinrong serve

## Install PostgreSQL and Chromium when missing, lint, then run the whole suite on both databases.
test: $(STAMP)
	bash .ci/install-system-deps.sh
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy --strict matching
	XINRONG_REQUIRE_PG=1 XINRONG_REQUIRE_BROWSER=1 $(BIN)/python -m pytest -n $(TEST_WORKERS)

## Generated bad input at a large size on both databases: FUZZ_EXAMPLES calls per role and
## database (randomised; CI's `make test` runs the same tests small and seeded), then a summary.
FUZZ_EXAMPLES ?= 1500
fuzz: $(STAMP)
	bash .ci/install-system-deps.sh
	rm -rf test-artifacts/fuzz
	XINRONG_REQUIRE_PG=1 XINRONG_FUZZ_RANDOM=1 XINRONG_FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) \
	XINRONG_FUZZ_TRACE=test-artifacts/fuzz $(BIN)/python -m pytest -n $(TEST_WORKERS) \
	  tests/api/test_fuzz_graphql.py tests/api/test_abuse.py; status=$$?; \
	$(BIN)/python -m tests.support.fuzz_tally test-artifacts/fuzz; exit $$status

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy --strict matching

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

## Regenerate graphql_schema/schema.graphql after changing the API.
schema: $(STAMP)
	$(BIN)/xinrong export-schema --output graphql_schema/schema.graphql

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache test-artifacts
