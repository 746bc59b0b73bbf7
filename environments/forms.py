from django import forms

from environments.models import Environment, Project
from keys.forms import TextField


class ProjectForm(forms.ModelForm):
    class Meta:
        model = Project
        fields = ["name"]
        field_classes = {"name": TextField}
        labels = {"name": "Project name"}
        widgets = {"name": forms.TextInput(attrs={"placeholder": "e.g. Billing API"})}


class EnvironmentForm(forms.ModelForm):
    class Meta:
        model = Environment
        fields = ["name", "is_production"]
        field_classes = {"name": TextField}
        labels = {"name": "Environment name", "is_production": "Production"}
        help_texts = {"is_production": "Keys of a production environment are tagged kd_live_."}
        widgets = {"name": forms.TextInput(attrs={"placeholder": "e.g. staging"})}


class SwitchOrganizationForm(forms.Form):
    organization = forms.IntegerField(min_value=1, max_value=2**63 - 1)  # what a database id holds
