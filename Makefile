# The project's verbs. `make run` and `make test` each work alone on a fresh machine.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
VAR_DIR ?= $(CURDIR)/var
UV_VERSION := 0.13.8
export PORT VAR_DIR

.PHONY: run test install install-dev lock mutation mutation-sample ocr fonts pdf browser lint migrate demo worker bench clean

# Installs come from uv.lock: a fresh machine gets the versions the suite passed with (`make lock`
# after changing the dependencies in pyproject.toml).
$(VENV)/.installed: pyproject.toml uv.lock
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet "uv==$(UV_VERSION)"
	$(BIN)/uv sync --quiet --frozen --inexact --python $(BIN)/python
	touch $@

$(VENV)/.installed-dev: $(VENV)/.installed
	$(BIN)/uv sync --quiet --frozen --inexact --extra dev --python $(BIN)/python
	touch $@

install: $(VENV)/.installed

## Lock the dependencies of pyproject.toml again (uv.lock), after changing them.
lock: $(VENV)/.installed
	$(BIN)/uv lock

install-dev: $(VENV)/.installed-dev

## Serve web + worker + beat on 127.0.0.1:$(PORT) with the demo programme, until Ctrl-C.
run: install ocr fonts pdf
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py collectstatic --noinput --verbosity 0
	$(BIN)/python manage.py load_demo  # idempotent: the database says what is loaded already
	@echo
	@echo "  Claim form:   http://127.0.0.1:$(PORT)/"
	@echo "  Claim status: http://127.0.0.1:$(PORT)/status/"
	@echo "  Agents:       http://127.0.0.1:$(PORT)/admin/   (demo agent: agent / recall-demo-agent,"
	@echo "                demo supervisor: supervisor / recall-demo-supervisor)"
	@echo "  Try serials:  A1263 AH23060000000042 (recalled in US, DE), A1263 AJ23100000000042 (recalled in JP only),"
	@echo "                A1257 AK24010000000007 (recalled), A1263 AH23070000000042 (not recalled)"
	@echo "  API docs:     http://127.0.0.1:$(PORT)/api/docs/"
	@echo "  Press Ctrl-C to stop web, worker and beat (a process that dies is restarted)."
	@echo
	$(BIN)/supervisord -c config/embedded.conf

## Tesseract's English model (Debian's tesseract-ocr-eng; the engine comes with tesserocr), to read the
## serial on label photos. Without it they are "not read", and each claim goes on as it would.
ocr:
	@ls /usr/share/tesseract-ocr/*/tessdata/eng.traineddata >/dev/null 2>&1 || (apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends tesseract-ocr-eng \
		>/dev/null) || echo "tesseract-ocr-eng could not be installed: label photos will not be read"

## Fonts for the words of the drop-off voucher: DejaVu Sans (German umlauts) and IPA Gothic (Japanese).
## Without them a voucher is drawn in English, in Pillow's own font (claims/voucher.py).
fonts:
	@(test -f /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf && test -f /usr/share/fonts/opentype/ipafont-gothic/ipag.ttf) || \
		(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
		fonts-dejavu-core fonts-ipafont-gothic >/dev/null) || echo "fonts could not be installed: vouchers will be in English"

## What weasyprint draws the monthly report's PDF with: Debian's pango (with its FreeType backend) and
## HarfBuzz's subsetter for the embedded fonts; the fonts themselves come from `make fonts`.
pdf:
	@(ldconfig -p | grep -q libpangoft2-1.0.so.0 && ldconfig -p | grep -q libharfbuzz-subset.so.0) || \
		(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
		libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 >/dev/null) || \
		echo "pango could not be installed: the monthly report cannot be drawn as PDF (CSV still works)"

## Debian's Chromium for the browser tests (they are skipped, with the reason, where it cannot be had).
browser:
	@command -v chromium >/dev/null || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
		apt-get install -y -qq chromium >/dev/null) || echo "chromium could not be installed: browser tests will be skipped"

lint: install-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

## Install and run the whole suite (and ruff and mypy). Service-backed tests run when their URLs are set.
test: install-dev ocr fonts pdf browser lint
	$(BIN)/python manage.py makemigrations --check --dry-run --settings=config.settings.test >/dev/null
	$(BIN)/pytest
	@if [ -n "$$DATABASE_URL" ]; then \
		echo "== the catalogue and import tests again on the embedded SQLite database =="; \
		env -u DATABASE_URL $(BIN)/pytest tests/recalls tests/outreach/test_import.py -q -p no:cacheprovider; fi

## Mutation testing of the services and selectors (mutmut; slow: run it on its own). `mutmut results`
## lists the surviving mutants, `mutmut show NAME` one of them.
# Each mutant's tests start from a copy of one migrated database instead of migrating again. SQLite
# unless told otherwise: `make mutation MUTATION_DATABASE_URL=postgres://postgres@127.0.0.1:5432/mutation`
# also tells apart what only PostgreSQL does (COPY, row locks, SKIP LOCKED).
MUTATION_DATABASE_URL ?= sqlite:///$(CURDIR)/var/mutation.sqlite3
mutation: install-dev
	$(BIN)/python tests/mutation_database.py $(MUTATION_DATABASE_URL)
	DATABASE_URL=$(MUTATION_DATABASE_URL) MUTATION_DB_TEMPLATE=1 $(BIN)/mutmut run
	$(BIN)/python tests/mutation_score.py

# The same on MUTATION_SAMPLE mutants drawn at random from each module: an estimate in minutes. The
# first mutmut run matches no mutant: it only makes the mutants and the map of which tests run each.
MUTATION_SAMPLE ?= 40
mutation-sample: install-dev
	$(BIN)/python tests/mutation_database.py $(MUTATION_DATABASE_URL)
	DATABASE_URL=$(MUTATION_DATABASE_URL) MUTATION_DB_TEMPLATE=1 $(BIN)/mutmut run "none.at.all*" || true
	DATABASE_URL=$(MUTATION_DATABASE_URL) MUTATION_DB_TEMPLATE=1 $(BIN)/mutmut run \
		$$($(BIN)/python tests/mutation_score.py --sample $(MUTATION_SAMPLE))
	$(BIN)/python tests/mutation_score.py

migrate: install
	$(BIN)/python manage.py migrate --noinput

demo: migrate
	$(BIN)/python manage.py load_demo

bench: install-dev
	$(BIN)/python bench/import_serials.py
	$(BIN)/python bench/serial_check.py

clean:
	rm -rf var
