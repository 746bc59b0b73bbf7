"""/settings/: the organization's name, its maximum production key lifetime and its
two-factor requirement; admins only, behind a recent sign-in, every change audited."""

import pytest

from audit.models import Action, AuditEvent
from environments.models import Organization
from tests.dashboard.test_reauthentication import REAUTH, stale

URL = "/settings/"


def test_it_shows_every_setting_and_the_webhooks(client, alice, acme):
    client.force_login(alice)
    html = client.get(URL).content.decode()
    assert 'value="Acme"' in html
    assert "Maximum lifetime of new production keys (days)" in html
    assert "Require two-factor authentication" in html
    assert 'href="/settings/webhooks/"' in html


def test_an_admin_changes_them_and_each_change_is_recorded(client, alice, acme):
    client.force_login(alice)
    response = client.post(URL, {"name": "Acme Corp", "max_production_key_days": "90"})
    assert response.status_code == 302
    acme.refresh_from_db()
    assert (acme.name, acme.max_production_key_days) == ("Acme Corp", 90)
    event = AuditEvent.objects.get(action=Action.ORGANIZATION_UPDATED)
    assert event.metadata == {
        "before": {"name": "Acme", "max_production_key_days": None},
        "after": {"name": "Acme Corp", "max_production_key_days": 90},
    }
    assert (event.actor_kind, event.actor_name) == ("user", "alice")
    page = client.get(URL).content.decode()
    assert 'value="90"' in page

    client.post(URL, {"name": "Acme Corp", "max_production_key_days": ""})
    acme.refresh_from_db()
    assert acme.max_production_key_days is None
    last = AuditEvent.objects.filter(action=Action.ORGANIZATION_UPDATED).latest("id")
    assert last.metadata["after"] == {"max_production_key_days": None}


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("max_production_key_days", "0", "greater than or equal to 1"),
        ("max_production_key_days", "-5", "greater than or equal to 1"),
        ("max_production_key_days", "3651", "less than or equal to 3650"),
        ("max_production_key_days", "ninety", "Enter a whole number"),
        ("max_production_key_days", "9" * 30, "less than or equal to 3650"),
        ("name", "", "This field is required"),
        ("name", "x" * 101, "at most 100"),
    ],
)
def test_bad_values_are_refused_clearly(client, alice, acme, field, value, message):
    client.force_login(alice)
    data = {"name": "Acme", "max_production_key_days": "30", field: value}
    response = client.post(URL, data)
    assert response.status_code == 422
    assert message in response.content.decode()
    acme.refresh_from_db()
    assert (acme.name, acme.max_production_key_days) == ("Acme", None)
    assert not AuditEvent.objects.filter(action=Action.ORGANIZATION_UPDATED).exists()


def test_a_stale_sign_in_is_asked_for_the_password_first(client, alice, acme):
    stale(client, alice)
    response = client.post(URL, {"name": "Hijacked", "max_production_key_days": ""})
    assert response.status_code == 302
    assert response.url.startswith(REAUTH)
    acme.refresh_from_db()
    assert acme.name == "Acme"


def test_no_one_but_an_admin_may_see_or_change_them(client, mia, bob, victor, acme):
    for user in (mia, bob, victor):
        client.force_login(user)
        assert client.get(URL).status_code == 403
        assert client.post(URL, {"name": "Mine", "max_production_key_days": "1"}).status_code == 403
    acme.refresh_from_db()
    assert acme.name == "Acme"


def test_an_admin_changes_only_their_own_organization(client, charlie, globex, acme):
    client.force_login(charlie)
    client.post(URL, {"name": "Globex Corp", "max_production_key_days": "7"})
    assert Organization.objects.get(pk=globex.pk).max_production_key_days == 7
    acme.refresh_from_db()
    assert (acme.name, acme.max_production_key_days) == ("Acme", None)
