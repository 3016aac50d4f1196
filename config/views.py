"""Project-level pages: home redirect, sign-in with rate limit, profile/API token, health, the
400 page, and the API's 404 for paths no endpoint matches."""

from __future__ import annotations

import logging

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import RequestDataTooBig
from django.db import connection
from django.http import HttpResponsePermanentRedirect, JsonResponse
from django.shortcuts import redirect, render
from django.urls import Resolver404, resolve
from django.views import defaults
from django.views.decorators.http import require_GET, require_POST
from rest_framework.authtoken.models import Token
from rest_framework.exceptions import NotFound
from rest_framework.views import APIView

from config import ratelimit
from config.api import upload_limit_label
from config.renderers import JSONRenderer
from surveys.models import Role
from surveys.selectors import membership_for_user

logger = logging.getLogger(__name__)

HOME_FOR_ROLE = {
    Role.HR_ADMIN: "dashboards:overview",
    Role.CX_MANAGER: "dashboards:overview",
    Role.TEAM_LEAD: "dashboards:overview",
    Role.STAFF: "responses:mine",
}


@require_GET
def home(request):
    if not request.user.is_authenticated:
        return redirect("login")
    membership = membership_for_user(user=request.user)
    if membership is None:
        return render(request, "no_membership.html", status=403)
    return redirect(HOME_FOR_ROLE[membership.role])


class RateLimitedLoginView(auth_views.LoginView):
    """Django's login with a limit on failed attempts per account and per IP."""

    template_name = "registration/login.html"
    redirect_authenticated_user = True

    def post(self, request, *args, **kwargs):
        username = (request.POST.get("username") or "").strip().lower()
        keys = ratelimit.login_keys(ip=ratelimit.client_ip(request), username=username)
        if ratelimit.login_blocked(keys):
            form = self.get_form()
            form.add_error(None, "Too many failed sign-in attempts. Try again in 15 minutes.")
            return self.render_to_response(self.get_context_data(form=form), status=429)
        response = super().post(request, *args, **kwargs)
        if not request.user.is_authenticated:
            ratelimit.login_failed(keys)
        return response


login_view = RateLimitedLoginView.as_view()


class RateLimitedPasswordResetView(auth_views.PasswordResetView):
    """Django's password reset (an e-mailed one-time link; the page never says whether an address
    has an account), with the link built on TANDEM_BASE_URL and a limit per IP and address, so
    the form cannot be used to flood someone's inbox."""

    template_name = "registration/password_reset_form.html"
    email_template_name = "registration/password_reset_email.txt"
    subject_template_name = "registration/password_reset_subject.txt"

    def form_valid(self, form):
        self.extra_email_context = {"base_url": settings.TANDEM_BASE_URL.rstrip("/")}
        return super().form_valid(form)

    def post(self, request, *args, **kwargs):
        email = (request.POST.get("email") or "").strip().lower()
        if ratelimit.reset_over_limit(ip=ratelimit.client_ip(request), email=email):
            form = self.get_form()
            form.add_error(None, "Too many reset requests. Try again in an hour.")
            return self.render_to_response(self.get_context_data(form=form), status=429)
        return super().post(request, *args, **kwargs)


@login_required
@require_GET
def profile(request):
    token = Token.objects.filter(user=request.user).first()
    return render(
        request,
        "registration/profile.html",
        {"token": token, "membership": membership_for_user(user=request.user)},
    )


@login_required
@require_POST
def token_create(request):
    Token.objects.filter(user=request.user).delete()
    Token.objects.create(user=request.user)
    messages.success(
        request, "A new API token was created. Keep it secret; the old one stops working."
    )
    return redirect("profile")


@login_required
@require_POST
def token_revoke(request):
    Token.objects.filter(user=request.user).delete()
    messages.info(request, "Your API token was revoked.")
    return redirect("profile")


@require_GET
def healthz(request):
    return JsonResponse({"status": "ok"})


@require_GET
def readyz(request):
    checks = {"database": _database_ok(), "broker": _broker_ok()}
    ok = all(checks.values())
    return JsonResponse(
        {"status": "ok" if ok else "unavailable", **checks}, status=200 if ok else 503
    )


def _database_ok() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        return True
    except Exception:  # noqa: BLE001 - any failure means "not ready"
        logger.warning("readyz: database unreachable", exc_info=True)
        return False


def _broker_ok() -> bool:
    if settings.CELERY_TASK_ALWAYS_EAGER or not settings.REDIS_URL:
        return True
    import redis

    try:
        return bool(redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=1).ping())
    except Exception:  # noqa: BLE001
        logger.warning("readyz: broker unreachable", exc_info=True)
        return False


def bad_request(request, exception):
    """handler400: Django's page, but a form over DATA_UPLOAD_MAX_MEMORY_SIZE gets a 413 page
    that says so (the API answers its own JSON 413: config.api.exception_handler)."""
    if isinstance(exception, RequestDataTooBig):
        return render(request, "413.html", {"limit": upload_limit_label()}, status=413)
    return defaults.bad_request(request, exception)


class ApiNotFoundView(APIView):
    """Mounted after every endpoint under /api/v1/: a path none of them matches gets the API's
    JSON 404, not Django's HTML page, whatever the method and whoever asks.

    The pattern matches every path, so CommonMiddleware (APPEND_SLASH) no longer redirects an
    endpoint's path written without its final slash: a GET or HEAD for one is redirected here.
    Other methods get a 404 naming the endpoint with its slash, as a redirect would lose their
    body.
    """

    authentication_classes: list = []
    permission_classes: list = []
    renderer_classes = [JSONRenderer]  # JSON for a browser too (no browsable API page)
    schema = None  # not an endpoint

    def dispatch(self, request, *args, **kwargs):
        if _endpoint_with_slash(request.path_info):
            if request.method in ("GET", "HEAD"):
                full = request.get_full_path(force_append_slash=True)
                return HttpResponsePermanentRedirect(full)
            # The 404 says what the caller most likely meant (a POST to /api/v1/surveys).
            detail = f"Not found. The endpoint is {request.path}/ (API paths end with a slash)."
            return JsonResponse({"detail": detail}, status=404)
        return super().dispatch(request, *args, **kwargs)

    def initial(self, request, *args, **kwargs):
        # Before content negotiation, which would refuse a client that accepts no JSON (406).
        raise NotFound()


def _endpoint_with_slash(path: str) -> bool:
    if not settings.APPEND_SLASH or path.endswith("/"):
        return False
    try:
        match = resolve(path + "/")
    except Resolver404:
        return False
    return getattr(match.func, "cls", None) is not ApiNotFoundView
