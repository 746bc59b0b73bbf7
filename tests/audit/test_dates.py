"""Date filters at the end of the calendar: a clear error, never a 500 from an overflow."""

import pytest

from audit.forms import EventFilterForm

URL = "/audit/"


@pytest.mark.parametrize("field", ["since", "until"])
@pytest.mark.parametrize("day", ["9999-12-31", "9999-12-30"])
def test_it_refuses_a_date_at_the_end_of_the_calendar(login, alice, acme, field, day):
    response = login(alice).get(URL, {field: day})
    assert response.status_code == 422
    label = {"since": "From", "until": "To"}[field]
    assert f"<li>{label}: Choose a date no later than 9999-12-29.</li>" in (
        response.content.decode()
    )


def test_it_refuses_the_end_of_the_calendar_in_exports(login, alice, acme):
    response = login(alice).post("/audit/export.csv?until=9999-12-31")
    assert response.status_code == 400
    assert "To: Choose a date no later than 9999-12-29." in response.content.decode()


def test_it_accepts_the_last_day(login, alice, acme):
    response = login(alice).get(URL, {"since": "9999-12-29", "until": "9999-12-29"})
    assert response.status_code == 200


def test_the_form_says_which_field(acme):
    form = EventFilterForm({"until": "9999-12-31"}, organization=acme)
    assert not form.is_valid()
    assert list(form.errors) == ["until"]
