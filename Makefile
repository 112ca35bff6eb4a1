# The two commands of the README's quick start — `make demo` and `make test` — install whatever is
# missing first (.venv, npm packages). Nothing here needs more than Python 3.11, node/npm and the
# package registries.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
NPM_STAMP := node_modules/.installed

.PHONY: demo test lint typecheck pytest bench serve artifacts install chromium slither clean

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

# `npm ci`: exactly what the lock pins. The lock lists anvil's binaries for every platform (they are
# optional packages: npm fetches only this machine's).
$(NPM_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

demo: install
	$(BIN)/prioreg demo

# lint-imports: the layers' import contracts ([tool.importlinter] in pyproject.toml).
lint: $(STAMP)
	$(BIN)/ruff check registry api scripts tests
	$(BIN)/ruff format --check registry api
	$(BIN)/lint-imports --no-cache

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
	$(BIN)/python -m registry.ledger.compile

clean:
	rm -rf $(VENV) node_modules .pytest_cache .mypy_cache .ruff_cache

# Slither (static analysis) in a venv of its own: it pins web3 7, the registry needs web3 8.
# It drives the npm compiler through scripts/solc-npm.mjs with standard JSON (see SECURITY.md).
SLITHER_VENV := .venv-slither
slither: $(NPM_STAMP)
	test -x $(SLITHER_VENV)/bin/slither || { $(PYTHON) -m venv $(SLITHER_VENV) && $(SLITHER_VENV)/bin/pip install --quiet slither-analyzer; }
	$(SLITHER_VENV)/bin/slither contracts --solc scripts/solc-npm.mjs --solc-standard-json \
	  --solc-remaps "@openzeppelin/=node_modules/@openzeppelin/" --filter-paths node_modules \
	  --exclude incorrect-equality,timestamp,unused-return
