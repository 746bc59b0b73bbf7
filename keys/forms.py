import ipaddress
from collections.abc import Mapping
from datetime import datetime
from typing import Any, cast
from urllib.parse import urlencode

from django import forms
from django.contrib.auth import get_user_model
from django.contrib.auth.base_user import AbstractBaseUser
from django.db.models import QuerySet
from django.urls import reverse

from environments.models import Environment, EnvironmentQuerySet, Organization, Project
from keys import origins
from keys.models import (
    ApiKey,
    InvalidExpiry,
    Kind,
    LifetimeTooLong,
    check_lifetime,
    clean_expiry,
    expiry_in,
)
from keys.text import (
    DESCRIPTION_MAX,
    NAME_MAX,
    REASON_MAX,
    TAG_KEY_MAX,
    TAG_VALUE_MAX,
    InvalidText,
    clean_tag,
    clean_text,
)


class TextField(forms.CharField):
    """Free text under keys/text.py's rule, the same the API's schemas apply."""

    def __init__(self, *, multiline: bool = False, **kwargs: Any) -> None:
        self.multiline = multiline
        super().__init__(**kwargs)

    def clean(self, value: Any) -> str:
        value = super().clean(value)
        try:
            return clean_text(
                value,
                max_length=self.max_length,
                multiline=self.multiline,
                required=self.required,
            )
        except InvalidText as problem:
            message = str(problem)
            raise forms.ValidationError(message[0].upper() + message[1:] + ".") from None


EXPIRY_CHOICES = [
    ("", "Never"),
    ("7", "In 7 days"),
    ("30", "In 30 days"),
    ("90", "In 90 days"),
    ("365", "In 1 year"),
]


class KeyCreateForm(forms.Form):
    name = TextField(label="API Key Name", max_length=NAME_MAX)
    # Read is always granted; the field is shown checked and disabled, and never trusted.
    read = forms.BooleanField(label="Read", required=False, disabled=True, initial=True)
    write = forms.BooleanField(label="Write", required=False)
    manage = forms.BooleanField(
        label="Manage",
        required=False,
        help_text="Create, rotate and revoke keys through the API.",
    )
    expires_in = forms.TypedChoiceField(
        label="Expires",
        choices=EXPIRY_CHOICES,
        required=False,
        coerce=int,
        empty_value=None,
    )
    kind = forms.ChoiceField(
        label="Kind",
        choices=[
            ("personal", "Personal: mine, revoked when I leave the organization"),
            ("service", "Service: belongs to the organization, outlives its creator"),
        ],
        initial="personal",
        required=False,  # personal unless an admin chooses otherwise
        widget=forms.RadioSelect,
    )

    def __init__(
        self,
        *args: Any,
        organization: Organization,
        environment: Environment | None = None,
        environments: QuerySet[Environment] | None = None,
        can_grant_manage: bool = False,
        **kwargs: Any,
    ) -> None:
        """`environment`: where the key goes (its keys tab); else `environments` offers a
        choice among these (the quickstart)."""
        super().__init__(*args, **kwargs)
        self.environment = environment
        self.explain_lifetime(organization, environment)
        if environments is not None:
            self.fields["environment"] = forms.ModelChoiceField(
                label="Environment", queryset=environments, empty_label=None
            )
            self.order_fields(["environment", "name"])
        if not can_grant_manage:
            # Only admins grant manage and make service keys (DESIGN.md section 7).
            del self.fields["manage"]
            del self.fields["kind"]

    def clean_expires_in(self) -> int | None:
        days = self.cleaned_data["expires_in"]
        try:
            self._expires_at = expiry_in(days)
        except InvalidExpiry as problem:
            raise forms.ValidationError(f"The expiry {problem}.") from None
        return days

    def expires_at(self) -> datetime | None:
        return self._expires_at

    def explain_lifetime(self, organization: Organization, environment: Environment | None) -> None:
        """Say what the organization's maximum lifetime for production keys asks, and offer
        that lifetime itself; the choice is still checked in `clean`."""
        days = organization.max_production_key_days
        if days is None or (environment is not None and not environment.is_production):
            return
        field = cast(forms.TypedChoiceField, self.fields["expires_in"])
        if str(days) not in dict(EXPIRY_CHOICES):
            field.choices = sorted(
                [*EXPIRY_CHOICES, (str(days), f"In {days} days (the longest allowed)")],
                key=lambda choice: int(choice[0] or 0),
            )
        field.help_text = (
            f"{organization.name} allows production keys {days} day{'s' if days != 1 else ''}"
            " at most, and none without an expiry."
        )
        if environment is not None:
            field.initial = str(min(days, 90))

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        environment = self.environment or data.get("environment")
        if environment is not None and "expires_in" in data:
            try:
                check_lifetime(environment, self._expires_at)
            except LifetimeTooLong as problem:
                self.add_error("expires_in", str(problem))
        return data

    def issued(self) -> dict[str, Any]:
        """issue_api_key's fields for the valid form."""
        data = self.cleaned_data
        return {
            "environment": self.environment or data["environment"],
            "name": data["name"],
            "kind": data.get("kind") or Kind.PERSONAL,
            "write": data["write"],
            "manage": data.get("manage", False),
            "expires_at": self.expires_at(),
        }


def environment_choices(organization: Organization) -> EnvironmentQuerySet:
    return Environment.objects.for_organization(organization).select_related("project")


STATUS_CHOICES = [
    ("", "Any status"),
    ("active", "Active"),
    ("expired", "Expired"),
    ("revoked", "Revoked"),
]
USE_CHOICES = [
    ("", "Any use"),
    ("never", "Never used"),
    ("unused30", "Unused for 30 days"),
]


class CreatorField(forms.ModelChoiceField):
    """A person, by their username."""

    def label_from_instance(self, obj: AbstractBaseUser) -> str:
        return obj.get_username()


EXPIRY_FILTERS = [
    ("", "Any expiry"),
    ("soon", "Expiring within 7 days"),
    ("none", "No expiry"),
]


class KeyFilterForm(forms.Form):
    """The admin key page's filters; they live in the URL so a view can be shared."""

    q = forms.CharField(
        label="Search",
        required=False,
        max_length=200,
        widget=forms.SearchInput(
            attrs={"placeholder": "Name, hint or key id", "autocomplete": "off"}
        ),
    )
    project: "forms.ModelChoiceField[Project]" = forms.ModelChoiceField(
        label="Project", queryset=None, required=False, empty_label="Any project"
    )
    environment: "forms.ModelChoiceField[Environment]" = forms.ModelChoiceField(
        label="Environment", queryset=None, required=False, empty_label="Any environment"
    )
    status = forms.ChoiceField(label="Status", choices=STATUS_CHOICES, required=False)
    kind = forms.ChoiceField(
        label="Kind",
        choices=[("", "Any kind"), ("personal", "Personal"), ("service", "Service")],
        required=False,
    )
    creator: "forms.ModelChoiceField[AbstractBaseUser]" = CreatorField(
        label="Creator", queryset=None, required=False, empty_label="Anyone"
    )
    use = forms.ChoiceField(label="Use", choices=USE_CHOICES, required=False)
    expiry = forms.ChoiceField(label="Expiry", choices=EXPIRY_FILTERS, required=False)
    tag = forms.CharField(
        label="Tag",
        required=False,
        max_length=TAG_KEY_MAX + TAG_VALUE_MAX + 1,
        widget=forms.TextInput(attrs={"placeholder": "team=payments", "autocomplete": "off"}),
    )
    errors_beside_fields = False  # invalid filters are dropped, not reported (config/forms.py)

    def __init__(self, data: Mapping[str, Any] | None, *, organization: Organization) -> None:
        super().__init__(data)
        fields = cast("dict[str, forms.ModelChoiceField[Any]]", self.fields)  # those set here
        fields["project"].queryset = organization.projects.all()
        fields["environment"].queryset = environment_choices(organization)
        fields["creator"].queryset = (
            get_user_model()
            .objects.filter(memberships__organization=organization)
            .order_by("username")
        )

    def clean_tag(self) -> tuple[str, str] | None:
        """(key, value), value "" for any; the same rule as the tags themselves."""
        text = self.cleaned_data["tag"]
        if not text:
            return None
        try:
            return clean_tag(text, value_required=False)
        except InvalidText as problem:
            raise forms.ValidationError(f"The tag {problem}.") from None

    def filters(self) -> dict[str, Any]:
        """The valid filters that are set, as ApiKey.objects.filtered takes them."""
        if not self.is_valid():
            return {}
        return {name: value for name, value in self.cleaned_data.items() if value}

    def url(self) -> str:
        """The page with the filters in force, from its first page (the pager adds a cursor)."""
        query = urlencode({name: self.data[name] for name in self.filters()})
        return reverse("keys:admin") + (f"?{query}" if query else "")


class RevokeForm(forms.Form):
    keys = forms.MultipleChoiceField(label="Keys", choices=())
    reason = TextField(
        label="Reason",
        max_length=REASON_MAX,
        widget=forms.TextInput(attrs={"placeholder": "e.g. leaked in a public repository"}),
    )

    def __init__(self, *args: Any, revocable: list[ApiKey], **kwargs: Any) -> None:
        """`revocable`: the keys this person may revoke; anything else is not a choice."""
        super().__init__(*args, **kwargs)
        self.revocable = revocable
        keys = cast(forms.MultipleChoiceField, self.fields["keys"])
        keys.choices = [(k.public_id, k.public_id) for k in revocable]

    def chosen(self) -> list[ApiKey]:
        wanted = set(self.cleaned_data["keys"])
        return [k for k in self.revocable if k.public_id in wanted]


GRACE_CHOICES = [
    (0, "Immediately"),
    (3600, "In 1 hour"),
    (86400, "In 24 hours"),
    (7 * 86400, "In 7 days"),
]


class RotateForm(forms.Form):
    grace_seconds = forms.TypedChoiceField(
        label="Old key stops",
        choices=GRACE_CHOICES,
        coerce=int,
        initial=0,
        help_text="Keep the old key working while you roll the new one out.",
    )


class KeyEditForm(forms.Form):
    name = TextField(label="API Key Name", max_length=NAME_MAX)
    description = TextField(
        label="Description",
        required=False,
        multiline=True,
        max_length=DESCRIPTION_MAX,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    read = forms.BooleanField(label="Read", required=False, disabled=True, initial=True)
    write = forms.BooleanField(label="Write", required=False)
    manage = forms.BooleanField(
        label="Manage", required=False, help_text="Create, rotate and revoke keys through the API."
    )
    expires_at = forms.DateTimeField(
        label="Expires (UTC)",
        required=False,
        widget=forms.DateTimeInput(
            attrs={"type": "datetime-local", "step": "1"}, format="%Y-%m-%dT%H:%M:%S"
        ),
        help_text="Leave empty for no expiry.",
    )
    allowed_ips = forms.CharField(
        label="Allowed IP networks",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "placeholder": "203.0.113.0/24\n2001:db8::/32"}),
        help_text="One address or CIDR network per line; empty allows any address.",
    )
    allowed_origins = forms.CharField(
        label="Allowed origins",
        required=False,
        widget=forms.Textarea(
            attrs={"rows": 3, "placeholder": "https://app.example.com\n*.example.com"}
        ),
        help_text="For keys used in browsers: one origin or *.domain per line; empty allows any.",
    )
    rate_limit = forms.IntegerField(
        label="Rate limit (requests a minute)",
        required=False,
        min_value=1,
        max_value=1_000_000,
        help_text="Empty: the environment's default.",
    )

    def __init__(
        self,
        data: Mapping[str, Any] | None = None,
        *,
        key: ApiKey,
        can_grant_manage: bool,
        **kwargs: Any,
    ) -> None:
        initial = {
            "name": key.name,
            "description": key.description,
            "write": key.can_write,
            "manage": key.can_manage,
            "expires_at": key.expires_at,
            "allowed_ips": "\n".join(key.allowed_ips),
            "allowed_origins": "\n".join(key.allowed_origins),
            "rate_limit": key.rate_limit,
        }
        super().__init__(data, initial=initial, **kwargs)
        self.key = key
        if not can_grant_manage:
            # Shown as it is, but not changeable: only admins grant (or take away) manage.
            self.fields["manage"].disabled = True

    def clean_expires_at(self) -> datetime | None:
        """The field shows whole seconds: an unchanged expiry keeps its exact value (even a
        past one); a new one must be one a key can have."""
        value = self.cleaned_data["expires_at"]
        current = self.key.expires_at
        if value and current and value == current.replace(microsecond=0):
            return current
        if value is None and current is None:
            return None  # unchanged: a key older than a lifetime limit keeps its "never"
        try:
            value = clean_expiry(value)
            check_lifetime(self.key.environment, value)
        except InvalidExpiry as problem:
            raise forms.ValidationError(f"The expiry {problem}.") from None
        except LifetimeTooLong as problem:
            raise forms.ValidationError(str(problem)) from None
        return value

    def clean_allowed_ips(self) -> list[str]:
        networks = []
        for line in self.cleaned_data["allowed_ips"].splitlines():
            line = line.strip()
            if not line:
                continue
            try:
                networks.append(str(ipaddress.ip_network(line, strict=False)))
            except ValueError:
                raise forms.ValidationError(f"{line!r} is not an IP address or network.") from None
        if len(networks) > 100:
            raise forms.ValidationError("At most 100 networks.")
        return networks

    def clean_allowed_origins(self) -> list[str]:
        try:
            return origins.clean(self.cleaned_data["allowed_origins"].splitlines())
        except ValueError as problem:
            raise forms.ValidationError(f"{str(problem)[0].upper()}{str(problem)[1:]}.") from None

    def changes(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "name": data["name"],
            "description": data["description"],
            "can_write": data["write"],
            "can_manage": data["manage"],
            "expires_at": data["expires_at"],
            "allowed_ips": data["allowed_ips"],
            "allowed_origins": data["allowed_origins"],
            "rate_limit": data["rate_limit"],
        }


class PlaygroundForm(forms.Form):
    """A key to try, POSTed (never in a URL) and never rendered back: the field comes back empty."""

    key = forms.CharField(
        label="API key",
        max_length=200,
        strip=True,
        widget=forms.PasswordInput(
            attrs={"autocomplete": "off", "spellcheck": "false", "placeholder": "kd_test_…"}
        ),
    )
    permissions = forms.MultipleChoiceField(
        label="Require permissions",
        choices=[("read", "Read"), ("write", "Write"), ("manage", "Manage")],
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Sent as ?permissions=…: a key lacking one is answered 403.",
    )
