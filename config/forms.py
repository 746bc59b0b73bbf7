"""How every form in Keydesk renders itself (`FORM_RENDERER` in settings).

Templates write `{{ form }}` or `{{ form.name.as_field_group }}`; the markup of a field
(label, control, help, errors, and the ids that tie them together) lives in one template.
"""

from typing import Any

from django.forms import BoundField
from django.forms.renderers import TemplatesSetting
from django.forms.utils import ErrorList
from django.utils.safestring import SafeString


class KeydeskBoundField(BoundField):
    def label_tag(
        self,
        contents: str | None = None,
        attrs: dict[str, Any] | None = None,
        label_suffix: str | None = None,
        tag: str | None = None,
    ) -> SafeString:
        """No trailing colon: accessible names are exactly the labels (DESIGN.md 12)."""
        return super().label_tag(contents, attrs, label_suffix="", tag=tag)

    @property
    def errors(self) -> ErrorList:
        """A filter form (`errors_beside_fields = False`) reports its errors with the results
        that htmx swaps in: a mark beside a field would outlive its error there."""
        if getattr(self.form, "errors_beside_fields", True):
            return super().errors
        return self.form.error_class(renderer=self.form.renderer)


class KeydeskFormRenderer(TemplatesSetting):
    form_template_name = "forms/form.html"
    field_template_name = "forms/field.html"
    bound_field_class = KeydeskBoundField
