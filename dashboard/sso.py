"""Single sign-on (allauth's socialaccount): who may come in, which account they get, and
which organization they join.

- A newcomer joins no organization, except those that allow the domain of an address their
  provider says it verified; they join as viewers. An unverified address grants nothing.
- An address that is already a local account's never signs in to that account, unless the
  address is verified on both sides (by the provider now, and here: only a provider ever
  verifies an address in Keydesk, which sends no mail). Any other clash is refused with a page
  that says to sign in with the password and connect the provider from the account.
- REGISTRATION_OPEN=false closes single sign-on to newcomers too, except those an
  organization's allowed domains let in.
"""

from typing import Any

from allauth.account.models import EmailAddress
from allauth.core.exceptions import ImmediateHttpResponse
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter
from allauth.socialaccount.forms import SignupForm
from allauth.socialaccount.models import SocialApp, SocialLogin
from allauth.socialaccount.providers.base import AuthProcess
from django.conf import settings
from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import Q, QuerySet
from django.http import Http404, HttpRequest
from django.template.response import TemplateResponse

from audit.models import Action
from dashboard.accounts import provider_details, record_for_user
from environments.models import Organization, Role, add_membership

# A newcomer by email domain gets the least a role may do; an admin promotes them.
JOINED_ROLE = Role.VIEWER


def verified_emails(sociallogin: SocialLogin) -> list[str]:
    return [a.email for a in sociallogin.email_addresses if a.verified]


def organizations_to_join(sociallogin: SocialLogin) -> list[tuple[Organization, str]]:
    """The organizations that allow the domain of an address the provider verified."""
    organizations: dict[int, tuple[Organization, str]] = {}
    for email in verified_emails(sociallogin):
        for organization in Organization.objects.allowing_email(email):
            organizations.setdefault(organization.pk, (organization, email))
    return list(organizations.values())


def local_accounts_with(email: str) -> QuerySet[User]:
    """Accounts that already have this address, on the account or as an allauth address."""
    return User.objects.filter(
        Q(email__iexact=email) | Q(emailaddress__email__iexact=email)
    ).distinct()


def join_by_email_domain(*, user: User, sociallogin: SocialLogin, request: HttpRequest) -> None:
    """Make a newcomer a viewer of each organization that allows their verified domain;
    record the sign-up (and each joining) in the chains of the account."""
    details = provider_details(sociallogin)
    for organization, email in organizations_to_join(sociallogin):
        add_membership(
            organization=organization,
            user=user,
            role=JOINED_ROLE,
            by=user,
            request=request,
            account="single sign-on",
            email_domain=email.rpartition("@")[2].lower(),
            **details,
        )
    record_for_user(request, user, Action.SIGN_UP, target=user, metadata=details)


class SocialAccountAdapter(DefaultSocialAccountAdapter):
    def is_open_for_signup(self, request: HttpRequest, sociallogin: SocialLogin) -> bool:
        return settings.REGISTRATION_OPEN or bool(organizations_to_join(sociallogin))

    def get_app(
        self, request: HttpRequest, provider: str, client_id: str | None = None
    ) -> SocialApp:
        # A provider whose variables are not set has no app: its URLs are not found (a 404),
        # rather than allauth's DoesNotExist (a 500).
        try:
            return super().get_app(request, provider, client_id)
        except SocialApp.DoesNotExist:
            raise Http404("No such sign-in provider.") from None

    def authenticate_by_email(self, sociallogin: SocialLogin) -> tuple[User, str] | None:
        """The local account whose address is verified here and by the provider, if exactly
        one has it (allauth's own lookup also trusts unverified local addresses)."""
        for email in verified_emails(sociallogin):
            addresses = EmailAddress.objects.filter(email__iexact=email, verified=True)
            users = {a.user for a in addresses.select_related("user") if a.user.is_active}
            if len(users) == 1:
                return users.pop(), email
        return None

    def pre_social_login(self, request: HttpRequest, sociallogin: SocialLogin) -> None:
        """A newcomer whose address is already a local account's is refused (see above)."""
        if sociallogin.is_existing or sociallogin.state.get("process") == AuthProcess.CONNECT:
            return
        emails = {a.email.lower() for a in sociallogin.email_addresses}
        if sociallogin.user and sociallogin.user.email:
            emails.add(sociallogin.user.email.lower())
        if any(local_accounts_with(email).exists() for email in emails):
            raise ImmediateHttpResponse(
                TemplateResponse(
                    request,
                    "socialaccount/email_taken.html",
                    {"provider": sociallogin.provider},
                    status=409,
                )
            )

    def save_user(self, request: HttpRequest, sociallogin: SocialLogin, form: Any = None) -> User:
        # The account, its memberships and their events together, or none of them.
        with transaction.atomic():
            user = super().save_user(request, sociallogin, form)
            join_by_email_domain(user=user, sociallogin=sociallogin, request=request)
        return user


class SocialSignupForm(SignupForm):
    """allauth's form for a newcomer it could not sign up by itself: the username (and address)
    only. The password sign-up's `Organization name` is dropped: SSO newcomers join
    organizations by their verified domain, never create one here."""

    organization = None  # removes OrganizationSignupForm's field

    def custom_signup(self, request: HttpRequest, user: User) -> None:
        return None  # no organization of their own (OrganizationSignupForm.signup)
