# CommandRoom — the two commands of the README are `make demo` and `make test`.
PY ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell sha1sum pyproject.toml | cut -c1-12)
export PYTHONDONTWRITEBYTECODE = 1
# Tests and benchmarks draw offscreen; `make demo` opens its window on the session's own display.
HEADLESS := QT_QPA_PLATFORM=offscreen QTWEBENGINE_CHROMIUM_FLAGS=--no-sandbox
# The moments at which the working-time tests must pass (Beijing time): a Sunday night, the eve
# of 春节 (a holiday), New Year's Eve a minute before midnight, a working Tuesday morning.
MOMENTS := 2026-12-06T03:00:00+08:00 2026-02-16T12:00:00+08:00 2026-12-31T23:59:00+08:00 2026-12-08T10:00:00+08:00

.PHONY: demo test test-moments lint bench dist dist-test system-deps clean translations

$(STAMP): pyproject.toml
	@command -v $(PY) >/dev/null 2>&1 || { echo "Python 3.11 is needed ($(PY) not found)"; exit 1; }
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev]'
	rm -f $(VENV)/.installed-*
	touch $(STAMP)

system-deps:
	@bash scripts/system-deps.sh

demo: $(STAMP) system-deps
	$(BIN)/commandroom demo

lint: $(STAMP)
	$(BIN)/ruff check commandroom ui tests tools
	$(BIN)/lint-imports

test: $(STAMP) system-deps lint
	$(HEADLESS) $(BIN)/python -m pytest -q -p no:cacheprovider
	$(MAKE) --no-print-directory test-moments

test-moments: $(STAMP) system-deps
	@for m in $(MOMENTS); do \
	  echo "== working-time tests with the wall clock at $$m"; \
	  $(HEADLESS) $(BIN)/python -m pytest -q -p no:cacheprovider -m working_time --moment "$$m" || exit 1; \
	done

bench: $(STAMP) system-deps
	$(HEADLESS) $(BIN)/python -m tests.perf

dist: $(STAMP) system-deps
	$(BIN)/python -m pip install -q -e '.[dev,dist]'
	$(BIN)/pyinstaller --noconfirm build.spec

dist-test: dist
	$(HEADLESS) bash scripts/dist-selftest.sh

clean:
	rm -rf $(VENV) build dist .pytest_cache
