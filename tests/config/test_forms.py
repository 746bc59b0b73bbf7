"""The project form renderer (config/forms.py): one field template, labels without colons."""

import re

from django import forms
from django.contrib.auth.forms import PasswordChangeForm

from keys.forms import KeyCreateForm, KeyFilterForm


class Example(forms.Form):
    name = forms.CharField(label="API Key Name", help_text="Shown in lists.")
    write = forms.BooleanField(label="Write", required=False)
    kind = forms.ChoiceField(
        label="Kind", choices=[("a", "First"), ("b", "Second")], widget=forms.RadioSelect
    )


def test_it_labels_without_a_colon_even_djangos_own_forms(alice):
    html = str(Example())
    assert '<label for="id_name">API Key Name</label>' in html
    assert '<label for="id_write">Write</label>' in html
    assert "<legend>Kind</legend>" in html
    assert ":</label>" not in html
    # A form Django ships, never told about label_suffix, renders through the same renderer.
    assert '<label for="id_old_password">Old password</label>' in str(PasswordChangeForm(alice))


def test_each_field_is_one_group_in_one_template():
    html = Example()["name"].as_field_group()
    assert html.strip().startswith('<div class="field">')
    assert re.search(r'<input type="text" name="name"[^>]*required', html)


def test_a_checkbox_comes_before_its_label():
    html = Example()["write"].as_field_group()
    assert 'class="field check"' in html
    assert html.index('<input type="checkbox"') < html.index("<label")


def test_help_and_errors_are_what_the_control_is_described_by():
    html = Example({"kind": "a"})["name"].as_field_group()
    control = re.search(r"<input[^>]*>", html).group(0)
    assert 'aria-invalid="true"' in control
    assert 'aria-describedby="id_name_helptext id_name_error"' in control
    assert '<div class="help" id="id_name_helptext">Shown in lists.</div>' in html
    assert re.search(
        r'<div class="errors" id="id_name_error"><small class="error">This field is required.',
        html,
    )
    assert 'class="field invalid"' in html


def test_radio_buttons_are_a_fieldset_with_one_group_per_choice():
    html = Example({"kind": "z"})["kind"].as_field_group()
    assert html.strip().startswith('<fieldset class="choices invalid"')
    assert 'aria-describedby="id_kind_error"' in html
    assert html.count('<div class="field check"><input type="radio"') == 2
    assert '<label for="id_kind_1">Second</label>' in html


def test_the_whole_form_starts_with_its_own_errors():
    class Paired(forms.Form):
        a = forms.CharField(required=False)

        def clean(self):
            raise forms.ValidationError("Not together.")

    html = str(Paired({"a": "x"}))
    assert html.index('<div class="alert error" role="alert"><p>Not together.</p>') < html.index(
        "<label"
    )


def test_the_key_form_labels_are_the_contracts(acme):
    form = KeyCreateForm(organization=acme, can_grant_manage=True)
    for name, label in [("name", "API Key Name"), ("read", "Read"), ("write", "Write")]:
        assert f'<label for="id_{name}">{label}</label>' in form[name].as_field_group()


def test_a_filter_form_marks_no_field_its_results_report_or_drop(acme):
    form = KeyFilterForm({"project": "999999"}, organization=acme)
    assert not form.is_valid()
    html = form["project"].as_field_group()
    assert "aria-invalid" not in html
    assert "invalid" not in html
    assert "error" not in html
