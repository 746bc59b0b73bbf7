"""Accounts through django-allauth, with Keydesk's rules: who may sign up, what is audited.

allauth asks this adapter at each step, so the audit events of sign-in, failed sign-in and
password change are recorded here, whichever allauth view or flow led to them.
"""

from typing import Any

from allauth.account.adapter import DefaultAccountAdapter
from allauth.account.forms import ChangePasswordForm as AllauthChangePasswordForm
from allauth.account.forms import LoginForm
from allauth.account.forms import SetPasswordForm as AllauthSetPasswordForm
from allauth.core import context
from allauth.mfa.models import Authenticator
from allauth.socialaccount.models import SocialAccount, SocialLogin
from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import User
from django.core.validators import MaxLengthValidator
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.urls import reverse

from audit import bursts
from audit.chain import record
from audit.models import Action
from audit.requests import client_ip
from dashboard.models import OneTimePassword
from environments.access import signed_in_recently
from environments.models import Organization

USERNAME_MAX_LENGTH = User._meta.get_field("username").max_length
REAUTHENTICATE_WITH_PROVIDER = "reauthenticate_with_provider"


def client_address(request: HttpRequest) -> str:
    """django-axes' view of the client's address (see AXES_CLIENT_IP_CALLABLE)."""
    return client_ip(request) or ""


def chains_of(username: str) -> list[Organization | None]:
    """The organizations whose chains record this account's sign-ins: each one it belongs
    to, else [None], the chain of events with no organization (so no attempt goes unlogged)."""
    return list(Organization.objects.filter(memberships__user__username=username)) or [None]


def record_for_user(
    request: HttpRequest | None, user: AbstractBaseUser, action: str, **extra: Any
) -> None:
    """One event in each chain of `user` (see chains_of)."""
    for organization in chains_of(user.get_username()):
        record(action=action, organization=organization, actor=user, request=request, **extra)


def provider_details(sociallogin: SocialLogin) -> dict[str, str]:
    """What the audit log records of the single sign-on provider a sign-in came through."""
    return {"provider": sociallogin.account.provider, "provider_name": sociallogin.provider.name}


def record_failed_sign_in(request: HttpRequest, username: str) -> None:
    failures = bursts.observe(
        "sign_in",
        username,
        threshold=settings.SIGN_IN_FAILURE_BURST,
        window=settings.BURST_WINDOW,
    )
    for organization in chains_of(username):
        record(
            action=Action.SIGN_IN_FAILED,
            organization=organization,
            actor=request.user,  # anonymous: the attempt is not the system's doing
            actor_name=username,
            request=request,
            metadata={"username": username},
        )
        if failures:  # once a burst, so an attack alerts once, not once a try
            record(
                action=Action.SIGN_IN_FAILURES,
                organization=organization,
                actor=request.user,
                actor_name=username,
                request=request,
                metadata={
                    "username": username,
                    "failures": failures,
                    "window_seconds": settings.BURST_WINDOW,
                },
            )


class AccountAdapter(DefaultAccountAdapter):
    error_messages = {
        **DefaultAccountAdapter.error_messages,
        "username_password_mismatch": (
            "That username and password do not match. Check both and try again."
        ),
    }

    def get_client_ip(self, request: HttpRequest) -> str:
        # The same address as the audit log and django-axes (TRUSTED_PROXY_COUNT).
        return client_ip(request) or request.META.get("REMOTE_ADDR", "")

    def is_open_for_signup(self, request: HttpRequest) -> bool:
        return settings.REGISTRATION_OPEN

    def get_reauthentication_methods(self, user: AbstractBaseUser) -> list[dict[str, str]]:
        """allauth's (the password, a second factor); an account with neither that signs in
        through a provider confirms it is them by signing in with it again."""
        methods = super().get_reauthentication_methods(user)
        if not methods and SocialAccount.objects.filter(user_id=user.pk).exists():
            url = reverse("account_reauthenticate")
            methods = [{"id": REAUTHENTICATE_WITH_PROVIDER, "description": "", "url": url}]
        return methods

    def is_reauthentication_required(self, *, app: str, **kwargs: Any) -> bool:
        """For allauth's own sensitive steps (a second factor, a provider connected): for an
        account that signs in only through a provider, the recent sign-in with it is the
        re-authentication, as for Keydesk's own actions (allauth counts only the password and
        second factors, which such an account does not have)."""
        required = super().is_reauthentication_required(app=app, **kwargs)
        request = context.request
        if required and request is not None and request.user.is_authenticated:
            methods = self.get_reauthentication_methods(request.user)
            if methods and methods[0]["id"] == REAUTHENTICATE_WITH_PROVIDER:
                return not signed_in_recently(request)
        return required

    def get_password_change_redirect_url(self, request: HttpRequest) -> str:
        return "/"

    def post_login(
        self,
        request: HttpRequest,
        user: AbstractBaseUser,
        *,
        signup: bool,
        signal_kwargs: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> HttpResponse:
        """Every stage passed (password or single sign-on, then a second factor if any):
        signed in. A sign-in through a provider names it."""
        response = super().post_login(
            request, user, signup=signup, signal_kwargs=signal_kwargs, **kwargs
        )
        if not signup:  # sign-up records its own event
            sociallogin = (signal_kwargs or {}).get("sociallogin")
            metadata = provider_details(sociallogin) if sociallogin is not None else {}
            record_for_user(request, user, Action.SIGN_IN, metadata=metadata)
        return response

    def authentication_failed(self, request: HttpRequest, **credentials: Any) -> None:
        # Bounded like the field itself, without NUL characters that PostgreSQL cannot store.
        username = str(credentials.get("username") or "").replace("\x00", "").strip()
        username = username[:USERNAME_MAX_LENGTH]
        # Attempts past the lockout are not recorded one by one: the failures that caused it
        # were, and the log must not grow at an attacker's pace.
        failures = getattr(request, "axes_failures_since_start", 0)
        if username and failures <= settings.AXES_FAILURE_LIMIT:
            record_failed_sign_in(request, username)


class SignInForm(LoginForm):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["login"]
        field.label = "Username"
        field.widget.attrs.pop("placeholder", None)
        self.fields["password"].widget.attrs.pop("placeholder", None)
        # Nothing longer than a username reaches authenticate() and django-axes' varchar(255).
        field.max_length = USERNAME_MAX_LENGTH
        field.validators.append(MaxLengthValidator(USERNAME_MAX_LENGTH))


class ChangePasswordForm(AllauthChangePasswordForm):
    """allauth's password change (current password, new one twice, the validators), audited.

    allauth keeps this session signed in; Django's session hash ends the user's others."""

    def save(self) -> None:
        request = context.request
        with transaction.atomic():
            super().save()
            OneTimePassword.objects.filter(user=self.user).delete()
            record_for_user(request, self.user, Action.PASSWORD_CHANGED, target=self.user)


class SetPasswordForm(AllauthSetPasswordForm):
    """allauth's first password for an account made through single sign-on, audited."""

    def save(self) -> None:
        request = context.request
        with transaction.atomic():
            super().save()
            record_for_user(
                request,
                self.user,
                Action.PASSWORD_CHANGED,
                target=self.user,
                metadata={"set": True},
            )


# allauth's two-factor views change authenticators and then send these signals (after the
# commit); they are its documented hook, so each change is recorded here, whichever view made it.
MFA_ACTIONS = {
    "added": Action.TWO_FACTOR_ADDED,
    "removed": Action.TWO_FACTOR_REMOVED,
    "reset": Action.RECOVERY_CODES_REGENERATED,
}


def record_two_factor_change(
    change: str,
    *,
    request: HttpRequest,
    user: AbstractBaseUser,
    authenticator: Authenticator,
    **kwargs: Any,
) -> None:
    with transaction.atomic():
        record_for_user(
            request,
            user,
            MFA_ACTIONS[change],
            target=user,
            metadata={"method": authenticator.type},
        )


def connect_two_factor_audit() -> None:
    from functools import partial

    from allauth.mfa import signals

    for change in MFA_ACTIONS:
        handler = partial(record_two_factor_change, change)
        getattr(signals, f"authenticator_{change}").connect(
            handler, weak=False, dispatch_uid=f"keydesk-audit-{change}"
        )


# allauth's socialaccount connects and removes sign-in providers (the connections page, or an
# address verified on both sides) and then sends these signals: each change is recorded here.
SSO_ACTIONS = {"added": Action.SSO_CONNECTED, "removed": Action.SSO_DISCONNECTED}


def record_sso_change(
    change: str,
    *,
    request: HttpRequest,
    sociallogin: Any = None,  # allauth sends a SocialLogin,
    socialaccount: Any = None,  # or a SocialAccount
    **kwargs: Any,
) -> None:
    account = socialaccount or sociallogin.account  # allauth sends one or the other
    with transaction.atomic():
        record_for_user(
            request,
            account.user,
            SSO_ACTIONS[change],
            target=account.user,
            metadata={"provider": account.provider},
        )


def connect_sso_audit() -> None:
    from functools import partial

    from allauth.socialaccount import signals

    for change in SSO_ACTIONS:
        getattr(signals, f"social_account_{change}").connect(
            partial(record_sso_change, change), weak=False, dispatch_uid=f"keydesk-sso-{change}"
        )
