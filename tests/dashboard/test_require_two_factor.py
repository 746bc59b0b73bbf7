"""An organization may `Require two-factor authentication`: members set it up first."""

from allauth.mfa.models import Authenticator

from audit.models import Action, AuditEvent
from environments.models import Organization

URL = "/settings/"


def require(acme):
    Organization.objects.filter(pk=acme.pk).update(require_two_factor=True)


def test_an_admin_turns_it_on_and_it_is_recorded(client, alice, acme):
    client.force_login(alice)
    page = client.get(URL).content.decode()
    assert "Require two-factor authentication" in page
    response = client.post(URL, {"name": "Acme", "require_two_factor": "on"})
    assert response.status_code == 302
    acme.refresh_from_db()
    assert acme.require_two_factor
    event = AuditEvent.objects.get(action=Action.ORGANIZATION_UPDATED)
    assert event.metadata == {
        "before": {"require_two_factor": False},
        "after": {"require_two_factor": True},
    }


def test_saving_without_a_change_records_nothing(client, alice, acme):
    client.force_login(alice)
    assert client.post(URL, {"name": "Acme"}).status_code == 302
    assert not AuditEvent.objects.filter(action=Action.ORGANIZATION_UPDATED).exists()


def test_members_and_managers_cannot_change_it(client, bob, mia, acme):
    for user in (bob, mia):
        client.force_login(user)
        assert client.post(URL, {"require_two_factor": "on"}).status_code == 403
    acme.refresh_from_db()
    assert not acme.require_two_factor


def test_a_member_without_a_second_factor_is_sent_to_set_one_up(client, bob, acme):
    require(acme)
    client.force_login(bob)
    response = client.get("/projects/")
    assert response.status_code == 302
    assert response.url == "/accounts/2fa/?next=%2Fprojects%2F"
    page = client.get("/accounts/2fa/").content.decode()
    assert "Your organization requires two-factor authentication." in page


def test_htmx_is_sent_there_too(client, bob, acme, htmx):
    require(acme)
    client.force_login(bob)
    response = client.post("/keys/revoke/", {}, **htmx)
    assert response["HX-Redirect"].startswith("/accounts/2fa/")


def test_a_member_with_a_second_factor_goes_on(client, bob, acme):
    require(acme)
    Authenticator.objects.create(user=bob, type="totp", data={"secret": "x"})
    client.force_login(bob)
    assert client.get("/projects/").status_code == 200


def test_another_organizations_requirement_does_not_apply(client, bob, globex):
    require(globex)
    client.force_login(bob)
    assert client.get("/projects/").status_code == 200
