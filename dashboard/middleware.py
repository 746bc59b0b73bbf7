"""Before anything else: a one-time password replaced, a second factor where required."""

from urllib.parse import urlencode

from allauth.mfa.models import Authenticator
from django.shortcuts import redirect
from django.urls import reverse
from django_htmx.http import HttpResponseClientRedirect

from dashboard.models import OneTimePassword
from environments.models import Organization

# Where a person can still go: the pages that finish the set-up (allauth's under /accounts/,
# sign-out among them), static files, and what is not the dashboard (the API, health checks).
OPEN_PREFIXES = ("/accounts/", "/static/", "/v1/", "/livez", "/readyz")


def setup_step(user):
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
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.user.is_authenticated and not request.path.startswith(OPEN_PREFIXES):
            step = setup_step(request.user)
            if step:
                url = f"{step}?{urlencode({'next': request.get_full_path()})}"
                if getattr(request, "htmx", False):
                    return HttpResponseClientRedirect(url)
                return redirect(url)
        return self.get_response(request)
