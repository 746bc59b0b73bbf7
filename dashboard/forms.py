from django import forms
from django.contrib.auth.forms import AuthenticationForm, UserCreationForm
from django.contrib.auth.models import User


class SignUpForm(UserCreationForm):
    organization = forms.CharField(
        label="Organization name",
        max_length=100,
        help_text="Your team or company. You will be its admin.",
    )

    class Meta(UserCreationForm.Meta):
        model = User
        fields = ["username", "email"]


class SignInForm(AuthenticationForm):
    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": "That username and password do not match. Check both and try again.",
    }
