"""Content-Security-Policy header: no inline script anywhere in the product."""

from __future__ import annotations

from django.conf import settings

# Django's own admin runs under the policy (its scripts are files, its data in attributes), but
# django-celery-beat's periodic-task form has an inline script (the crontab's plain-English help).
CSP_EXEMPT = ("/admin/django_celery_beat/",)


class ContentSecurityPolicyMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if request.path.startswith(CSP_EXEMPT):
            return response
        response.headers.setdefault("Content-Security-Policy", settings.CONTENT_SECURITY_POLICY)
        return response
