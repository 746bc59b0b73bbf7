from collections.abc import Mapping
from datetime import date, timedelta
from typing import Any, cast
from urllib.parse import urlencode

from django import forms
from django.core.validators import MaxValueValidator
from django.urls import reverse
from django.utils.choices import flatten_choices
from django.utils.functional import cached_property

from audit.models import Action

ID_MAX = 2**63 - 1
FILTERS = ("actor", "action", "project", "environment", "key", "since", "until", "q")
# `until` is searched up to the start of the day after; one day more leaves room for a
# time zone's offset. Later dates would overflow `datetime`.
LAST_DAY = date.max - timedelta(days=2)
NO_LATER_THAN_LAST_DAY = MaxValueValidator(LAST_DAY, "Choose a date no later than %(limit_value)s.")


class OpenChoiceField(forms.ChoiceField):
    """A select that also takes a value it does not offer, if `accepts` takes it.

    Events of a removed member or a deleted project stay reachable (from a row's link); the
    form then offers that value too, marked "(not current)", so the select shows what is in
    force.
    """

    def __init__(self, *, accepts: forms.Field, **kwargs: Any) -> None:
        super().__init__(required=False, **kwargs)
        self.accepts = accepts

    def to_python(self, value: Any) -> Any:
        return self.accepts.clean(value)

    def validate(self, value: Any) -> None:
        pass  # `to_python` checked it; the choices are only what the select offers


class EventFilterForm(forms.Form):
    """The review page's filters, read from the query string so a view can be bookmarked.

    The selects offer the organization's members and projects, read only when the form is
    drawn (an export reads the filters alone).
    """

    actor = OpenChoiceField(accepts=forms.CharField(required=False, max_length=120))
    action = forms.ChoiceField(required=False, choices=[("", "Any action"), *Action.choices])
    # An id past a 64-bit integer is refused here, not sent to the database (which would fail).
    project = OpenChoiceField(
        accepts=forms.IntegerField(required=False, min_value=1, max_value=ID_MAX)
    )
    environment = OpenChoiceField(
        accepts=forms.IntegerField(required=False, min_value=1, max_value=ID_MAX)
    )
    key = forms.CharField(
        required=False,
        max_length=64,
        label="Target key",
        widget=forms.TextInput(
            attrs={"placeholder": "key_…", "autocomplete": "off", "spellcheck": "false"}
        ),
    )
    since = forms.DateField(
        required=False,
        label="From",
        validators=[NO_LATER_THAN_LAST_DAY],
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    until = forms.DateField(
        required=False,
        label="To",
        validators=[NO_LATER_THAN_LAST_DAY],
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    q = forms.CharField(
        required=False, max_length=200, label="Search target names", widget=forms.SearchInput
    )
    errors_beside_fields = False  # the table lists them (config/forms.py)

    def __init__(
        self, data: Mapping[str, Any] | None = None, *, organization: Any = None, **kwargs: Any
    ) -> None:
        super().__init__(data, auto_id="filter-%s", **kwargs)
        self.organization = organization
        # Callables: read when the select is drawn, never for an export.
        for name, choices in (
            ("actor", self._actor_choices),
            ("project", self._project_choices),
            ("environment", self._environment_choices),
        ):
            cast(OpenChoiceField, self.fields[name]).choices = choices

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        since, until = data.get("since"), data.get("until")
        if since and until and since > until:
            self.add_error("until", "The end date comes before the start date.")
        for name in ("actor", "key", "q"):
            if name in data:
                data[name] = data[name].strip()
        return data

    def filters(self) -> dict[str, Any]:
        """The filters in force, for `AuditEventQuerySet.matching`."""
        return {n: self.cleaned_data[n] for n in FILTERS if self.cleaned_data.get(n)}

    def params(self, **changes: object) -> dict[str, str]:
        """The filters as query-string values; `changes` sets or drops some."""
        values = {n: self.cleaned_data.get(n) for n in FILTERS}
        values.update(changes)
        return {n: str(v) for n, v in values.items() if v not in (None, "")}

    def url(self, name: str = "audit:review", **changes: Any) -> str:
        """This view (narrowed by `changes`) from its first page; the pager adds a cursor."""
        query = urlencode(self.params(**changes))
        return reverse(name) + (f"?{query}" if query else "")

    @property
    def problems(self) -> list[str]:
        """Each error, named by its field's label."""
        return [
            f"{self.fields[name].label or name.capitalize()}: {message}"
            if name in self.fields
            else str(message)
            for name, messages in self.errors.items()
            for message in messages
        ]

    @property
    def is_filtered(self) -> bool:
        return bool(self.filters())

    @property
    def csv_url(self) -> str:
        return self.url("audit:export_csv")

    @property
    def jsonl_url(self) -> str:
        return self.url("audit:export_jsonl")

    # The selects' choices, from the organization (read duck-typed: audit imports no other
    # app). A value in force that is not among them (a removed member, a key, a deleted
    # project) is offered too, so the select shows what is in force.
    def _not_offered(self, name: str, choices: list[Any]) -> list[tuple[str, str]]:
        current = str(self.data.get(name, ""))
        if current and current not in {str(value) for value, _ in flatten_choices(choices)}:
            return [(current, f"{current} (not current)")]
        return []

    def _actor_choices(self) -> list[tuple[str, str]]:
        memberships = self.organization.memberships.select_related("user").order_by(
            "user__username"
        )
        choices = [
            ("", "Anyone"),
            *((f"user:{m.user_id}", m.user.get_username()) for m in memberships),
            ("system", "System (commands)"),
            ("anonymous", "Not signed in"),
        ]
        return [*choices, *self._not_offered("actor", choices)]

    @cached_property
    def _projects(self) -> list[Any]:
        return list(self.organization.projects.prefetch_related("environments"))

    def _project_choices(self) -> list[tuple[str, str]]:
        choices = [("", "Any project"), *((str(p.pk), p.name) for p in self._projects)]
        return [*choices, *self._not_offered("project", choices)]

    def _environment_choices(self) -> list[tuple[str, Any]]:
        """Grouped by project."""
        choices = [
            ("", "Any environment"),
            *(
                (p.name, [(str(e.pk), e.name) for e in p.environments.all()])
                for p in self._projects
            ),
        ]
        if other := self._not_offered("environment", choices):
            choices.append(("Other", other))
        return choices
