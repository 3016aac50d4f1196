# Tandem: `make demo` (first five minutes) and `make test` (the suite).
# `make demo PORT=8001` (or HOST=0.0.0.0) when port 8000 is taken.
PY ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
# Links in e-mails, customer links and QR codes point here: the served port (HOST=0.0.0.0 serves
# every interface; set TANDEM_BASE_URL to the address other machines use).
TANDEM_BASE_URL ?= http://$(if $(filter 0.0.0.0,$(HOST)),127.0.0.1,$(HOST)):$(PORT)
# Put the venv first on PATH when it exists (make test / make up), else use what is installed.
ENV_PATH = $(if $(wildcard $(BIN)/python),PATH="$(abspath $(BIN)):$$PATH",)

.PHONY: demo install test lint format up worker beat web clean bench bench-smoke

$(BIN)/python:
	$(PY) -m venv $(VENV)

install: $(BIN)/python
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'

# The demo serves with runserver and runs the periodic tasks (pulses, reminders, reconcile,
# retention: what `celery beat` runs in production) with run_schedule beside it. Both start in
# the background so that the shell's trap stops both, by their ids, whichever way it ends: Ctrl-C,
# a signal to make, or runserver exiting on its own (`kill 0` would signal make and its callers).
demo: install
	DEBUG=true $(BIN)/python manage.py migrate --noinput
	DEBUG=true TANDEM_BASE_URL=$(TANDEM_BASE_URL) $(BIN)/python manage.py seed_demo
	trap 'kill $$server $$schedule 2>/dev/null; wait' EXIT HUP INT TERM; \
	DEBUG=true TANDEM_BASE_URL=$(TANDEM_BASE_URL) $(BIN)/python manage.py run_schedule & schedule=$$!; \
	DEBUG=true TANDEM_BASE_URL=$(TANDEM_BASE_URL) $(BIN)/python manage.py runserver $(HOST):$(PORT) & server=$$!; wait $$server

# The suite. Uses DATABASE_URL / REDIS_URL when set (PostgreSQL + Redis), else SQLite + eager Celery.
# In parallel, one process per core up to 4 (pytest-xdist: each its own test database; servers
# the tests start take spare ports); in one process where pytest-xdist is not installed (a venv
# made before it: `make install`) or with `make test PYTEST_WORKERS=`.
PYTEST_WORKERS ?= $(if $(shell $(ENV_PATH) python -c "import xdist" 2>/dev/null && echo y),-n auto --maxprocesses=4,)
test:
	$(ENV_PATH) python -m pytest $(PYTEST_WORKERS) $(PYTEST_ARGS)

# Benchmarks (benchmarks/README.md): need DATABASE_URL (PostgreSQL), REDIS_URL and wrk.
bench:
	python -m benchmarks.run_all $(BENCH_ARGS)

bench-smoke:
	python -m benchmarks.run_all --smoke

lint:
	$(ENV_PATH) ruff check .
	$(ENV_PATH) ruff format --check .

format:
	$(ENV_PATH) ruff check --fix .
	$(ENV_PATH) ruff format .

# The production stack on one machine, without Docker: needs DATABASE_URL, REDIS_URL, SECRET_KEY.
# Uses the venv of `make install` when there is one (the Procfile's gunicorn and celery too).
up:
	@test -n "$$DATABASE_URL" -a -n "$$REDIS_URL" -a -n "$$SECRET_KEY" || \
	  { echo "make up needs DATABASE_URL, REDIS_URL and SECRET_KEY (see the README)"; exit 2; }
	$(ENV_PATH) python manage.py migrate --noinput
	$(ENV_PATH) python manage.py collectstatic --noinput -v 0
	$(ENV_PATH) honcho start -f Procfile

clean:
	rm -rf $(VENV) db.sqlite3 staticfiles
