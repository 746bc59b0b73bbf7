"""Before anything else: a one-time password replaced, a second factor where required; and
single sign-on providers that do not answer."""

import logging
from collections.abc import Callable
from urllib.parse import urlencode

from allauth.mfa.models import Authenticator
from django.contrib.auth.models import User
from django.http import HttpRequest, HttpResponseBase
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django_htmx.http import HttpResponseClientRedirect
from requests import RequestException

from dashboard.models import OneTimePassword
from environments.models import Organization

logger = logging.getLogger(__name__)

# Where a person can still go: the pages that finish the set-up (allauth's under /accounts/,
# sign-out among them), static files, and what is not the dashboard (the API, health checks).
OPEN_PREFIXES = ("/accounts/", "/static/", "/v1/", "/livez", "/readyz")


def setup_step(user: User) -> str | None:
    """The URL of what this account must do first, or None."""
    if OneTimePassword.objects.filter(user=user).exists():
        return reverse("dashboard:password_change")
    if (
        Organization.objects.for_user(user).requiring_two_factor().exists()
        and not Authenticator.objects.filter(user=user).exists()
    ):
        return reverse("mfa_index")
    return None


class AccountSetupMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        if request.user.is_authenticated and not request.path.startswith(OPEN_PREFIXES):
            step = setup_step(request.user)
            if step:
                url = f"{step}?{urlencode({'next': request.get_full_path()})}"
                if getattr(request, "htmx", False):
                    return HttpResponseClientRedirect(url)
                return redirect(url)
        return self.get_response(request)


class ProviderUnreachableMiddleware:
    """A single sign-on provider that cannot be reached (its discovery document, while a
    sign-in starts) is a page that says so, not a 500. allauth itself handles the failures
    of the later steps (a refused code, a bad token) with its error page."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        return self.get_response(request)

    def process_exception(
        self, request: HttpRequest, exception: Exception
    ) -> HttpResponseBase | None:
        if not isinstance(exception, RequestException):
            return None
        logger.warning("single sign-on provider unreachable: %s", type(exception).__name__)
        return TemplateResponse(
            request, "socialaccount/authentication_error.html", {"unreachable": True}, status=502
        ).render()
