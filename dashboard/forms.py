import re
from typing import Any

from django import forms
from django.contrib.auth.models import User
from django.http import HttpRequest

from environments.models import MAX_KEY_DAYS, Organization, Role, create_organization
from keys.forms import TextField
from keys.text import TAG_KEY_MAX, TAG_VALUE_MAX, TAGS_MAX, InvalidText, clean_tag


class MemberAddForm(forms.ModelForm):
    """A new account for a new member; Keydesk makes its password and shows it once."""

    role = forms.ChoiceField(label="Role", choices=Role.choices, initial=Role.MEMBER)

    class Meta:
        model = User
        fields = ["username", "email"]
        help_texts = {"username": "Letters, digits and @ . + - _ only. They sign in with it."}

    def clean_username(self) -> str:
        username = self.cleaned_data["username"]
        # As sign-up does: `Bob` and `bob` would be two people nobody can tell apart.
        if User.objects.filter(username__iexact=username).exists():
            raise forms.ValidationError("That username is taken. Choose another.")
        return username


class RoleForm(forms.Form):
    role = forms.ChoiceField(label="Role", choices=Role.choices)


DOMAIN_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")
MAX_DOMAINS = 20
# Anyone can have an address there: allowing one would let the whole world in.
PUBLIC_MAIL_DOMAINS = frozenset(
    {
        "gmail.com",
        "googlemail.com",
        "outlook.com",
        "hotmail.com",
        "live.com",
        "msn.com",
        "yahoo.com",
        "ymail.com",
        "icloud.com",
        "me.com",
        "mac.com",
        "aol.com",
        "proton.me",
        "protonmail.com",
        "pm.me",
        "gmx.com",
        "gmx.net",
        "gmx.de",
        "mail.com",
        "yandex.com",
        "yandex.ru",
        "qq.com",
        "163.com",
        "126.com",
        "zoho.com",
        "fastmail.com",
        "tutanota.com",
        "hey.com",
        "web.de",
    }
)


def normalise_domain(text: str) -> str:
    """`Example.COM.` -> `example.com`, IDNA-encoded; ValidationError for anything that is not
    a domain name with at least two labels."""
    domain = text.strip().lower().removeprefix("@").rstrip(".")
    try:
        domain = domain.encode("idna").decode("ascii")
    except UnicodeError:
        raise forms.ValidationError(f"“{text.strip()}” is not a domain name.") from None
    labels = domain.split(".")
    if (
        len(labels) < 2
        or len(domain) > 253
        or not all(DOMAIN_LABEL.match(label) for label in labels)
        or labels[-1].isdigit()
    ):
        raise forms.ValidationError(f"“{text.strip()}” is not a domain name (e.g. example.com).")
    if domain in PUBLIC_MAIL_DOMAINS:
        raise forms.ValidationError(
            f"{domain} is a public mail service: anyone can have an address there."
        )
    return domain


class DomainListField(forms.CharField):
    """Domains, one a line (commas and spaces also separate them), as a sorted list."""

    widget = forms.Textarea(attrs={"rows": 3, "spellcheck": "false", "autocapitalize": "none"})

    def prepare_value(self, value: Any) -> Any:
        return "\n".join(value) if isinstance(value, list) else value

    def to_python(self, value: Any) -> list[str]:  # type: ignore[override]
        entries = [e for e in re.split(r"[\s,]+", super().to_python(value) or "") if e]
        errors, domains = [], set()
        for entry in entries:
            try:
                domains.add(normalise_domain(entry))
            except forms.ValidationError as error:
                errors.extend(error.messages)
        if errors:
            raise forms.ValidationError(errors)
        if len(domains) > MAX_DOMAINS:
            raise forms.ValidationError(f"At most {MAX_DOMAINS} domains.")
        return sorted(domains)


class OrganizationSettingsForm(forms.ModelForm):
    """/settings/: what applies to the whole organization (changes are audited, old → new)."""

    name = TextField(label="Organization name", max_length=100)
    max_production_key_days = forms.IntegerField(
        label="Maximum lifetime of new production keys (days)",
        required=False,
        min_value=1,
        max_value=MAX_KEY_DAYS,
        widget=forms.NumberInput(attrs={"placeholder": "No limit"}),
        help_text=(
            "New keys of production environments must expire within this many days, and none"
            " may be made without an expiry; a rotated key's successor gets at most this long."
            " Existing keys keep their expiry. Leave empty for no limit."
        ),
    )

    allowed_email_domains = DomainListField(
        label="Allowed email domains",
        required=False,
        max_length=5000,
        help_text=(
            "One a line, e.g. example.com. Someone who signs in with single sign-on for the first"
            " time, with an address at one of these domains that the provider has verified,"
            " joins this organization as a viewer (the least a role may do); you choose"
            " any other role on the members page. Subdomains are not included."
        ),
    )

    class Meta:
        model = Organization
        fields = ["name", "max_production_key_days", "require_two_factor", "allowed_email_domains"]
        help_texts = {
            "require_two_factor": (
                "Members set up an authenticator app or a passkey before anything else."
            ),
        }

    def clean_allowed_email_domains(self) -> list[str]:
        domains = self.cleaned_data["allowed_email_domains"]
        # One organization per domain, so a newcomer's organization is never a guess and
        # nobody can list another team's domain to collect its people.
        others = Organization.objects.exclude(pk=self.instance.pk).exclude(allowed_email_domains=[])
        taken = sorted({d for org in others for d in org.allowed_email_domains} & set(domains))
        if taken:
            raise forms.ValidationError(f"Another organization already allows {', '.join(taken)}.")
        return domains


class OrganizationSignupForm(forms.Form):
    """allauth's sign-up form gains this field; the new user becomes the organization's admin.

    (allauth imports this module while building its own forms: it must not import them.)"""

    organization = TextField(
        label="Organization name",
        max_length=100,
        help_text="Your team or company. You will be its admin.",
    )

    def signup(self, request: HttpRequest, user: User) -> None:
        create_organization(name=self.cleaned_data["organization"], admin=user, request=request)


class EnvironmentTagsForm(forms.Form):
    """An environment's tags, one `key=value` a line (keys/text.py `clean_tag`)."""

    tags = forms.CharField(
        label="Tags",
        required=False,
        max_length=TAGS_MAX * (TAG_KEY_MAX + TAG_VALUE_MAX + 4),
        widget=forms.Textarea(attrs={"rows": 5, "placeholder": "team=payments\nregion=eu"}),
        help_text=f"One key=value a line, at most {TAGS_MAX}. Empty removes every tag.",
    )

    def clean_tags(self) -> dict[str, str]:
        tags: dict[str, str] = {}
        for number, line in enumerate(self.cleaned_data["tags"].splitlines(), 1):
            if not line.strip():
                continue
            try:
                key, value = clean_tag(line)
            except InvalidText as problem:
                raise forms.ValidationError(f"Line {number}: the tag {problem}.") from None
            if key in tags:
                raise forms.ValidationError(f"Line {number}: {key!r} is already set above.")
            tags[key] = value
        if len(tags) > TAGS_MAX:
            raise forms.ValidationError(f"At most {TAGS_MAX} tags (there are {len(tags)}).")
        return tags
