from datetime import timedelta

from django import forms
from django.utils import timezone

from environments.models import Environment

EXPIRY_CHOICES = [
    ("", "Never"),
    ("7", "In 7 days"),
    ("30", "In 30 days"),
    ("90", "In 90 days"),
    ("365", "In 1 year"),
]


class KeyCreateForm(forms.Form):
    name = forms.CharField(label="API Key Name", max_length=100)
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

    def __init__(self, *args, environments=None, can_grant_manage=False, **kwargs):
        """`environments`: offer a choice among these (the quickstart); else it is fixed."""
        super().__init__(*args, **kwargs)
        if environments is not None:
            self.fields["environment"] = forms.ModelChoiceField(
                label="Environment", queryset=environments, empty_label=None
            )
            self.order_fields(["environment", "name"])
        if not can_grant_manage:
            del self.fields["manage"]

    def expires_at(self):
        days = self.cleaned_data.get("expires_in")
        return timezone.now() + timedelta(days=days) if days else None


def environment_choices(organization):
    return Environment.objects.for_organization(organization).select_related("project")
