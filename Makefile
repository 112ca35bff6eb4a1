# The two commands of the README's quick start — `make demo` and `make test` — install whatever is
# missing first (.venv, npm packages). Nothing here needs more than Python 3.11, node/npm and the
# package registries.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
NPM_STAMP := node_modules/.installed

.PHONY: demo test lint typecheck pytest bench serve artifacts install chromium clean

install: $(STAMP) $(NPM_STAMP)

# The browser test drives Debian's chromium (Playwright's own browser download cannot work here).
chromium:
	@command -v chromium >/dev/null 2>&1 || { \
	  echo "installing Debian's chromium for the browser test"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && $$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }

$(STAMP): pyproject.toml
	$(PYTHON) -c 'import sys; assert sys.version_info[:2] == (3, 11), "Python 3.11 is required"'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@

$(NPM_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

demo: install
	$(BIN)/prioreg demo

lint: $(STAMP)
	$(BIN)/ruff check registry api scripts tests
	$(BIN)/ruff format --check registry api

typecheck: $(STAMP)
	$(BIN)/mypy

pytest: install chromium
	$(BIN)/pytest -n 2 --dist loadgroup

test: lint typecheck pytest

bench: install
	$(BIN)/prioreg bench

serve: install
	$(BIN)/prioreg serve --demo --tokens-file state/tokens.json

artifacts: install
	$(BIN)/python -m registry.compile

clean:
	rm -rf $(VENV) node_modules .pytest_cache .mypy_cache .ruff_cache
