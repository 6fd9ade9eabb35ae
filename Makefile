# CommandRoom — the two commands of the README are `make demo` and `make test`.
PY ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
# Every package at the version and hash of the lock (update it with `make lock`, docs/packaging.md).
LOCK := requirements.lock
LOCK_ARGS := pyproject.toml --extra dev --extra dist --universal --python-version 3.11 --generate-hashes \
	--custom-compile-command "make lock" --quiet -o $(LOCK)
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml $(LOCK) | sha1sum | cut -c1-12)
export PYTHONDONTWRITEBYTECODE = 1
# Tests and benchmarks draw offscreen; `make demo` opens its window on the session's own display.
HEADLESS := QT_QPA_PLATFORM=offscreen QTWEBENGINE_CHROMIUM_FLAGS=--no-sandbox
# The moments at which the working-time tests must pass (Beijing time): a Sunday night, the eve
# of 春节 (a holiday), New Year's Eve a minute before midnight, a working Tuesday morning. The moment runs
# use SQLite only: the working-time rules are one definition (domain/clocks.py), checked against the
# PostgreSQL form by their own test, and the PostgreSQL variants run at the real moment in the main pass.
MOMENTS := 2026-12-06T03:00:00+08:00 2026-02-16T12:00:00+08:00 2026-12-31T23:59:00+08:00 2026-12-08T10:00:00+08:00

.PHONY: demo test test-moments lint bench dist dist-test system-deps clean translations lock lock-upgrade

$(STAMP): pyproject.toml $(LOCK)
	@command -v $(PY) >/dev/null 2>&1 || { echo "Python 3.11 is needed ($(PY) not found)"; exit 1; }
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install -q --require-hashes -r $(LOCK)
	$(BIN)/python -m pip install -q --no-deps --no-build-isolation -e .
	rm -f $(VENV)/.installed-*
	touch $(STAMP)

system-deps:
	@bash scripts/system-deps.sh

demo: $(STAMP) system-deps
	$(BIN)/commandroom demo

lint: $(STAMP)
	$(BIN)/ruff check commandroom ui tests tools
	$(BIN)/lint-imports
	$(BIN)/python scripts/typecheck.py

# The moment runs go beside the main pass (scripts/test-with-moments.sh), which keeps `make test` short.
test: $(STAMP) system-deps lint
	$(HEADLESS) bash scripts/test-with-moments.sh "$(BIN)/python -m pytest -q -p no:cacheprovider" $(MOMENTS)

test-moments: $(STAMP) system-deps
	@for m in $(MOMENTS); do \
	  echo "== working-time tests with the wall clock at $$m"; \
	  $(HEADLESS) $(BIN)/python -m pytest -q -p no:cacheprovider -m "working_time and not postgres" --moment "$$m" || exit 1; \
	done

bench: $(STAMP) system-deps
	$(HEADLESS) $(BIN)/python -m tests.perf

dist: $(STAMP) system-deps
	$(BIN)/pyinstaller --noconfirm build.spec

dist-test: dist
	$(HEADLESS) bash scripts/dist-selftest.sh

# Rewrite the lock after a change of pyproject.toml's dependencies, keeping every pin it can.
lock: $(STAMP)
	$(BIN)/uv pip compile $(LOCK_ARGS)

# Move every pin to the newest release the requirements allow (then run `make test`).
lock-upgrade: $(STAMP)
	$(BIN)/uv pip compile --upgrade $(LOCK_ARGS)

clean:
	rm -rf $(VENV) build dist .pytest_cache
