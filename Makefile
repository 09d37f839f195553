# The README's commands. `make run` serves the site; `make test` runs the whole suite.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PORT   ?= 5000
HOST   ?= 127.0.0.1
CATALOGS := $(patsubst %.po,%.mo,$(wildcard lms/translations/*/LC_MESSAGES/messages.po))

.PHONY: run test install lint translations

run: $(VENV)/.installed $(CATALOGS) node_modules/.installed
	$(BIN)/lms db upgrade
	$(BIN)/lms demo
	LMS_PUBLIC_URL=$${LMS_PUBLIC_URL:-http://$(HOST):$(PORT)} $(BIN)/lms run --host $(HOST) --port $(PORT)

test: $(VENV)/.installed-test $(CATALOGS) node_modules/.installed
	$(BIN)/pytest $(PYTEST_ARGS)

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: $(VENV)/.installed
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

# Front-end packages (hls.js) from the npm registry, pinned by package-lock.json. Without npm
# the player falls back to the browser's own HLS support (Safari, iPhone).
node_modules/.installed: package-lock.json
	@if command -v npm >/dev/null 2>&1; then \
		npm ci --no-audit --no-fund --loglevel=error && touch $@; \
	else \
		echo "npm not found: hls.js not installed; the player needs native HLS support"; \
	fi

%.mo: %.po $(VENV)/.installed
	$(BIN)/pybabel compile --use-fuzzy -i $< -o $@

translations: $(VENV)/.installed
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext --no-location --sort-output \
		--project=weihai-lms -o lms/translations/messages.pot .
	$(BIN)/pybabel update -N -i lms/translations/messages.pot -d lms/translations

lint: $(VENV)/.installed-test
	$(BIN)/ruff check lms tests bench migrations
	$(BIN)/lint-imports
	$(BIN)/mypy
