from django import forms

from audit.models import WEBHOOK_EVENT_TYPES
from audit.webhooks import UnsafeURL, check_url


class WebhookForm(forms.Form):
    url = forms.URLField(
        label="Endpoint URL",
        max_length=500,
        assume_scheme="https",
        help_text="An https URL on a public address; every delivery is POSTed there, signed.",
    )
    events = forms.MultipleChoiceField(
        label="Events",
        choices=[(t, t) for t in WEBHOOK_EVENT_TYPES],
        initial=WEBHOOK_EVENT_TYPES,
        widget=forms.CheckboxSelectMultiple,
    )

    def clean_url(self) -> str:
        url = self.cleaned_data["url"]
        try:
            check_url(url)
        except UnsafeURL as refusal:
            raise forms.ValidationError(str(refusal)) from None
        return url
