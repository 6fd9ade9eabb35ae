# CommandRoom — the two commands of the README are `make demo` and `make test`.
PY ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell sha1sum pyproject.toml | cut -c1-12)
export QT_QPA_PLATFORM ?= offscreen
export QTWEBENGINE_CHROMIUM_FLAGS ?= --no-sandbox
export PYTHONDONTWRITEBYTECODE = 1

.PHONY: demo test lint bench dist dist-test system-deps clean translations

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
	$(BIN)/ruff check commandroom ui tests
	$(BIN)/lint-imports

test: $(STAMP) system-deps lint
	$(BIN)/python -m pytest -q -p no:cacheprovider

bench: $(STAMP) system-deps
	$(BIN)/python -m tests.perf

dist: $(STAMP) system-deps
	$(BIN)/python -m pip install -q -e '.[dev,dist]'
	$(BIN)/pyinstaller --noconfirm build.spec

dist-test: dist
	bash scripts/dist-selftest.sh

clean:
	rm -rf $(VENV) build dist .pytest_cache
