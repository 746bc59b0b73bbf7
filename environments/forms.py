from typing import Any, cast

from django import forms
from django.contrib.auth.models import User
from django.db.models import Model, QuerySet
from django.http import HttpRequest

from environments.models import (
    Environment,
    Organization,
    Project,
    create_environment,
    create_project,
    rename,
)
from keys.forms import TextField


def duplicate(message: str) -> forms.ValidationError:
    return forms.ValidationError(f"{message}: choose another name.", code="duplicate")


class NameForm(forms.ModelForm):
    """A new project's or environment's name, or a new name for `renaming`: unique where it
    lives, and its own name is not taken."""

    def __init__(
        self, *args: Any, renaming: Project | Environment | None = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.renaming = renaming
        if renaming is not None:
            self.initial.setdefault("name", renaming.name)

    def clash[M: Model](self, taken: QuerySet[M]) -> M | None:
        """The first of `taken` (the rows with a name like this one) that is not `renaming`."""
        return (taken.exclude(pk=self.renaming.pk) if self.renaming is not None else taken).first()

    def rename(self, *, by: User, request: HttpRequest | None = None) -> None:
        target = cast(Project | Environment, self.renaming)  # a form to rename has one
        rename(target=target, name=self.cleaned_data["name"], by=by, request=request)


class ProjectForm(NameForm):
    """A project's name, unique in its organization."""

    class Meta:
        model = Project
        fields = ["name"]
        field_classes = {"name": TextField}
        labels = {"name": "Project name"}
        widgets = {"name": forms.TextInput(attrs={"placeholder": "e.g. Billing API"})}

    def __init__(self, *args: Any, organization: Organization, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.organization = organization

    def clean_name(self) -> str:
        name = self.cleaned_data["name"].strip()
        if clash := self.clash(Project.objects.for_organization(self.organization).named(name)):
            raise duplicate(f"A project called “{clash.name}” already exists")
        return name

    def create(self, *, by: User, request: HttpRequest | None = None) -> Project:
        return create_project(
            organization=self.organization, name=self.cleaned_data["name"], by=by, request=request
        )


class EnvironmentForm(NameForm):
    """An environment's name, unique in its project (when there is one yet)."""

    class Meta:
        model = Environment
        fields = ["name", "is_production"]
        field_classes = {"name": TextField}
        labels = {"name": "Environment name", "is_production": "Production"}
        help_texts = {"is_production": "Keys of a production environment are tagged kd_live_."}
        widgets = {"name": forms.TextInput(attrs={"placeholder": "e.g. staging"})}

    def __init__(self, *args: Any, project: Project | None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.project = project

    def clean_name(self) -> str:
        name = self.cleaned_data["name"].strip()
        if self.project is None:
            return name
        if clash := self.clash(self.project.environments.named(name)):
            raise duplicate(f"{self.project.name} already has an environment called “{clash.name}”")
        return name

    def create(self, *, by: User, request: HttpRequest | None = None) -> Environment:
        return create_environment(
            project=cast(Project, self.project),  # only a form to show lacks one
            name=self.cleaned_data["name"],
            is_production=self.cleaned_data["is_production"],
            by=by,
            request=request,
        )


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
