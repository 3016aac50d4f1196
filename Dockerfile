# The Tandem image: one image for web (gunicorn), worker and beat (celery); see docker-compose.yml.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    GUNICORN_BIND=0.0.0.0:8000

WORKDIR /app

# Dependencies first, from pyproject.toml alone, so a code change does not reinstall them.
COPY pyproject.toml ./
RUN python -c "import tomllib; print('\n'.join(tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']))" > /tmp/requirements.txt \
    && pip install -r /tmp/requirements.txt \
    && rm /tmp/requirements.txt

# The project itself. Editable, so BASE_DIR is /app and templates/ and static/ sit beside the code.
COPY . .
RUN pip install --no-deps -e . \
    && DEBUG=false SECRET_KEY=build-only-collectstatic-key-not-used-at-run-time \
       python manage.py collectstatic --noinput -v 0 \
    && useradd --system --uid 10001 --home-dir /app --shell /usr/sbin/nologin tandem \
    && mkdir -p /app/media && chown tandem /app/media

USER tandem
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-m", "config.healthcheck"]
CMD ["gunicorn", "-c", "gunicorn.conf.py", "config.wsgi:application"]
