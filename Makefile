# Tandem: `make demo` (first five minutes) and `make test` (the suite).
PY ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: demo install test lint format up worker beat web clean bench bench-smoke

$(BIN)/python:
	$(PY) -m venv $(VENV)

install: $(BIN)/python
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'

demo: install
	DEBUG=true $(BIN)/python manage.py migrate --noinput
	DEBUG=true $(BIN)/python manage.py seed_demo
	DEBUG=true $(BIN)/python manage.py runserver $(HOST):$(PORT)

# The suite. Uses DATABASE_URL / REDIS_URL when set (PostgreSQL + Redis), else SQLite + eager Celery.
test:
	$(if $(wildcard $(BIN)/python),$(BIN)/,)python -m pytest $(PYTEST_ARGS)

# Benchmarks (benchmarks/README.md): need DATABASE_URL (PostgreSQL), REDIS_URL and wrk.
bench:
	python -m benchmarks.run_all $(BENCH_ARGS)

bench-smoke:
	python -m benchmarks.run_all --smoke

lint:
	ruff check .
	ruff format --check .

format:
	ruff check --fix .
	ruff format .

# The production stack on one machine, without Docker: needs DATABASE_URL, REDIS_URL, SECRET_KEY.
up:
	python manage.py migrate --noinput
	python manage.py collectstatic --noinput -v 0
	honcho start -f Procfile

clean:
	rm -rf $(VENV) db.sqlite3 staticfiles
