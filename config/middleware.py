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


class ApiResponseReleaseMiddleware:
    """Take a rendered API response out of the reference cycles DRF puts it in.

    DRF's response holds its renderer context ({"view", "request", "response": itself, ...})
    and its view holds the response (`view.response`), so every API response, with its data,
    lived on as cyclic garbage until the garbage collector's next pass over an older
    generation found it: the scores API's largest answer (every team x every month, ~5,000
    containers) was carried into the collector's older generations and walked again by each
    pass, request after request. Once rendered, nothing reads the context again (the audit
    middleware, inside this one, reads only the data), so both links are dropped here and
    reference counting frees the response as soon as the server lets it go.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        context = getattr(response, "renderer_context", None)
        if context and getattr(response, "is_rendered", False):
            view = context.get("view")
            if getattr(view, "response", None) is response:
                view.response = None
            response.renderer_context = None
        return response
