from django import forms
from django.contrib.auth.models import User

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

    def clean_username(self):
        username = self.cleaned_data["username"]
        # As sign-up does: `Bob` and `bob` would be two people nobody can tell apart.
        if User.objects.filter(username__iexact=username).exists():
            raise forms.ValidationError("That username is taken. Choose another.")
        return username


class RoleForm(forms.Form):
    role = forms.ChoiceField(label="Role", choices=Role.choices)


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

    class Meta:
        model = Organization
        fields = ["name", "max_production_key_days", "require_two_factor"]
        help_texts = {
            "require_two_factor": (
                "Members set up an authenticator app or a passkey before anything else."
            ),
        }


class OrganizationSignupForm(forms.Form):
    """allauth's sign-up form gains this field; the new user becomes the organization's admin.

    (allauth imports this module while building its own forms: it must not import them.)"""

    organization = TextField(
        label="Organization name",
        max_length=100,
        help_text="Your team or company. You will be its admin.",
    )

    def signup(self, request, user):
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
