from typing import Any

from django import forms
from django.db.models import Model, QuerySet

from environments.models import Environment, Organization, Project
from keys.forms import TextField


def first_other[M: Model](taken: QuerySet[M], renaming: M | None) -> M | None:
    """The first of `taken` that is not the row being renamed (its own name is not taken)."""
    return (taken.exclude(pk=renaming.pk) if renaming is not None else taken).first()


def duplicate(message: str) -> forms.ValidationError:
    return forms.ValidationError(f"{message}: choose another name.", code="duplicate")


class ProjectForm(forms.ModelForm):
    """A project's name, unique in its organization."""

    class Meta:
        model = Project
        fields = ["name"]
        field_classes = {"name": TextField}
        labels = {"name": "Project name"}
        widgets = {"name": forms.TextInput(attrs={"placeholder": "e.g. Billing API"})}

    def __init__(
        self,
        *args: Any,
        organization: Organization,
        renaming: Project | None = None,
        **kwargs: Any,
    ) -> None:
        """`renaming`: the project whose name this is (its own name is not taken)."""
        super().__init__(*args, **kwargs)
        self.organization = organization
        self.renaming = renaming

    def clean_name(self) -> str:
        name = self.cleaned_data["name"].strip()
        taken = Project.objects.for_organization(self.organization).named(name)
        if clash := first_other(taken, self.renaming):
            raise duplicate(f"A project called “{clash.name}” already exists")
        return name


class EnvironmentForm(forms.ModelForm):
    """An environment's name, unique in its project (when there is one yet)."""

    class Meta:
        model = Environment
        fields = ["name", "is_production"]
        field_classes = {"name": TextField}
        labels = {"name": "Environment name", "is_production": "Production"}
        help_texts = {"is_production": "Keys of a production environment are tagged kd_live_."}
        widgets = {"name": forms.TextInput(attrs={"placeholder": "e.g. staging"})}

    def __init__(
        self,
        *args: Any,
        project: Project | None,
        renaming: Environment | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.project = project
        self.renaming = renaming

    def clean_name(self) -> str:
        name = self.cleaned_data["name"].strip()
        if self.project is None:
            return name
        taken = self.project.environments.named(name)
        if clash := first_other(taken, self.renaming):
            raise duplicate(f"{self.project.name} already has an environment called “{clash.name}”")
        return name


class EnvironmentNameForm(EnvironmentForm):
    """Renaming an environment: its name only (production or not stays as it was)."""

    class Meta(EnvironmentForm.Meta):
        fields = ["name"]


class ArchiveForm(forms.Form):
    reason = forms.CharField(
        label="Reason",
        max_length=500,
        help_text="Recorded in the audit log, and on every key this revokes.",
    )


class SwitchOrganizationForm(forms.Form):
    organization = forms.IntegerField(min_value=1, max_value=2**63 - 1)  # what a database id holds
