from django import forms
from django.contrib.auth.forms import AuthenticationForm, UserCreationForm
from django.contrib.auth.models import User
from django.core.validators import MaxLengthValidator

from environments.models import Role


class SignUpForm(UserCreationForm):
    organization = forms.CharField(
        label="Organization name",
        max_length=100,
        help_text="Your team or company. You will be its admin.",
    )

    class Meta(UserCreationForm.Meta):
        model = User
        fields = ("username", "email")


class SignInForm(AuthenticationForm):
    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": "That username and password do not match. Check both and try again.",
    }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # AuthenticationForm sets max_length after building the field, so nothing enforces it:
        # an over-long username would reach authenticate() and django-axes' varchar(255).
        field = self.fields["username"]
        field.validators.append(MaxLengthValidator(field.max_length))


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
