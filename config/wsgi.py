import os

from django.core.wsgi import get_wsgi_application

from config.memory import gc_tune

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
application = get_wsgi_application()


def _warm() -> None:
    """Import and compile now what the first requests would: with gunicorn's preload
    (gunicorn.conf.py) the master does it once and every worker, recycled ones included, starts
    warm. Lazily, each new worker spent ~2 s of CPU on it while its first requests waited.
    Nothing here connects to anything."""
    import celery.canvas  # noqa: F401 - Celery's publishing path
    import kombu.transport.redis  # noqa: F401 - the broker's transport
    import redis  # noqa: F401 - the cache's and the queue flags' client
    from django.template.loader import get_template
    from django.urls import get_resolver, reverse

    from config import celery_app

    get_resolver().url_patterns  # noqa: B018 - the URLconf: every view, form and export module
    reverse("responses:thanks", args=["x"])  # the URL names, as the answer page's redirect needs
    # At a process's first publish Celery finalizes its app and looks up its result backend
    # (reading every installed package's entry points, ~0.3 s): each recycled worker paid for
    # it under load. With no result backend (settings) the backend holds no connection.
    celery_app.finalize(auto=True)
    celery_app.backend  # noqa: B018
    for name in ("responses/answer.html", "responses/message.html", "base.html"):
        get_template(name)  # compiled once, kept by the cached template loader


_warm()
gc_tune(freeze=True)  # config.memory: the collector of a web process
