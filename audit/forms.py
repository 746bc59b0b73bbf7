from datetime import date, timedelta
from urllib.parse import urlencode

from django import forms
from django.core.validators import MaxValueValidator
from django.urls import reverse
from django.utils.functional import cached_property

from audit.models import Action

FILTERS = ("actor", "action", "project", "environment", "key", "since", "until", "q")
CURSORS = ("before", "after")
# `until` is searched up to the start of the day after; one day more leaves room for a
# time zone's offset. Later dates would overflow `datetime`.
LAST_DAY = date.max - timedelta(days=2)
NO_LATER_THAN_LAST_DAY = MaxValueValidator(LAST_DAY, "Choose a date no later than %(limit_value)s.")


class EventFilterForm(forms.Form):
    """The review page's filters, read from the query string so a view can be bookmarked.

    The selects are drawn by the template from the organization's members and projects;
    the fields take any id, so events of a removed member or a deleted project stay
    reachable (from a row's link).
    """

    actor = forms.CharField(required=False, max_length=120)
    action = forms.ChoiceField(required=False, choices=[("", "Any action"), *Action.choices])
    project = forms.IntegerField(required=False, min_value=1)
    environment = forms.IntegerField(required=False, min_value=1)
    key = forms.CharField(required=False, max_length=64, label="Target key")
    since = forms.DateField(required=False, label="From", validators=[NO_LATER_THAN_LAST_DAY])
    until = forms.DateField(required=False, label="To", validators=[NO_LATER_THAN_LAST_DAY])
    q = forms.CharField(required=False, max_length=200, label="Search target names")
    before = forms.IntegerField(required=False, min_value=1)
    after = forms.IntegerField(required=False, min_value=1)

    def __init__(self, *args, organization=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.organization = organization

    def clean(self):
        data = super().clean()
        since, until = data.get("since"), data.get("until")
        if since and until and since > until:
            self.add_error("until", "The end date comes before the start date.")
        for name in ("actor", "key", "q"):
            if name in data:
                data[name] = data[name].strip()
        return data

    def filters(self):
        """The filters in force, for `AuditEventQuerySet.matching`."""
        return {n: self.cleaned_data[n] for n in FILTERS if self.cleaned_data.get(n)}

    def cursor(self):
        return {n: self.cleaned_data[n] for n in CURSORS if self.cleaned_data.get(n)}

    def params(self, **changes):
        """The filters (and cursors) as query-string values; `changes` sets or drops some."""
        values = {n: self.cleaned_data.get(n) for n in (*FILTERS, *CURSORS)}
        values.update(changes)
        return {n: str(v) for n, v in values.items() if v not in (None, "")}

    def url(self, name="audit:review", **changes):
        query = urlencode(self.params(**changes))
        return reverse(name) + (f"?{query}" if query else "")

    def filter_url(self, **changes):
        """This view narrowed by `changes`, from its first page."""
        return self.url(before=None, after=None, **changes)

    def export_url(self, name):
        return self.url(name, before=None, after=None)

    @property
    def problems(self):
        """Each error, named by its field's label."""
        return [
            f"{self.fields[name].label or name.capitalize()}: {message}"
            if name in self.fields
            else message
            for name, messages in self.errors.items()
            for message in messages
        ]

    @property
    def is_filtered(self):
        return bool(self.filters())

    @property
    def csv_url(self):
        return self.export_url("audit:export_csv")

    @property
    def jsonl_url(self):
        return self.export_url("audit:export_jsonl")

    # Options for the selects, from the organization (read duck-typed: audit imports no
    # other app). A value in the URL that is not among them (a removed member, a key, a
    # deleted project) is kept as an extra option, so the form shows what is in force.
    def _options(self, name, options):
        current = str(self.data.get(name, ""))
        if current and current not in {value for value, _ in options}:
            options = [*options, (current, f"{current} (not current)")]
        return [(value, label, value == current) for value, label in options]

    @property
    def actor_options(self):
        memberships = self.organization.memberships.select_related("user")
        members = [
            (f"user:{m.user_id}", m.user.get_username())
            for m in memberships.order_by("user__username")
        ]
        return self._options(
            "actor", [*members, ("system", "System (commands)"), ("anonymous", "Not signed in")]
        )

    @property
    def action_options(self):
        return self._options("action", list(Action.choices))

    @cached_property
    def _projects(self):
        return list(self.organization.projects.prefetch_related("environments"))

    @property
    def project_options(self):
        return self._options("project", [(str(p.pk), p.name) for p in self._projects])

    @property
    def environment_options(self):
        """(project name, options) groups."""
        current = str(self.data.get("environment", ""))
        groups = [
            (p.name, [(str(e.pk), e.name, str(e.pk) == current) for e in p.environments.all()])
            for p in self._projects
        ]
        known = {value for _, options in groups for value, _, _ in options}
        if current and current not in known:
            groups.append(("Other", [(current, f"{current} (not current)", True)]))
        return groups
