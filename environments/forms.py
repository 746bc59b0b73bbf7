from django import forms

from environments.models import Environment, Project


class ProjectForm(forms.ModelForm):
    """A project's name, unique in its organization."""

    class Meta:
        model = Project
        fields = ["name"]
        labels = {"name": "Project name"}
        widgets = {"name": forms.TextInput(attrs={"placeholder": "e.g. Billing API"})}

    def __init__(self, *args, organization, renaming=None, **kwargs):
        """`renaming`: the project whose name this is (its own name is not taken)."""
        super().__init__(*args, **kwargs)
        self.organization = organization
        self.renaming = renaming

    def clean_name(self):
        name = self.cleaned_data["name"].strip()
        taken = Project.objects.for_organization(self.organization).named(name)
        if self.renaming is not None:
            taken = taken.exclude(pk=self.renaming.pk)
        if clash := taken.first():
            raise forms.ValidationError(
                f"A project called “{clash.name}” already exists: choose another name.",
                code="duplicate",
            )
        return name


class EnvironmentForm(forms.ModelForm):
    """An environment's name, unique in its project (when there is one yet)."""

    class Meta:
        model = Environment
        fields = ["name", "is_production"]
        labels = {"name": "Environment name", "is_production": "Production"}
        help_texts = {"is_production": "Keys of a production environment are tagged kd_live_."}
        widgets = {"name": forms.TextInput(attrs={"placeholder": "e.g. staging"})}

    def __init__(self, *args, project, renaming=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.project = project
        self.renaming = renaming

    def clean_name(self):
        name = self.cleaned_data["name"].strip()
        if self.project is None:
            return name
        taken = self.project.environments.named(name)
        if self.renaming is not None:
            taken = taken.exclude(pk=self.renaming.pk)
        if clash := taken.first():
            raise forms.ValidationError(
                f"{self.project.name} already has an environment called “{clash.name}”: "
                "choose another name.",
                code="duplicate",
            )
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
    organization = forms.IntegerField()
