"""`Change role`: admin, member or viewer; never leaving the organization without an admin."""

from audit.chain import verify_chain
from audit.models import Action, AuditEvent
from environments.models import Membership, Role


def url(membership):
    return f"/members/{membership.pk}/role/"


def membership_of(user):
    return Membership.objects.get(user=user)


def change(client, membership, role, **extra):
    return client.post(url(membership), {"role": role}, **extra)


def test_it_changes_a_role(client, alice, bob, acme):
    client.force_login(alice)
    response = change(client, membership_of(bob), "viewer")
    assert response.status_code == 302
    assert response.url == "/members/"
    assert membership_of(bob).role == Role.VIEWER
    assert "bob is now viewer." in client.get(response.url).content.decode()


def test_it_records_the_change_with_before_and_after(client, alice, bob, acme):
    client.force_login(alice)
    change(client, membership_of(bob), "admin")
    event = AuditEvent.objects.get(action=Action.ROLE_CHANGED)
    assert event.organization_id == acme.pk
    assert event.actor_name == "alice"
    assert (event.target_kind, event.target_id, event.target_name) == ("user", str(bob.pk), "bob")
    assert event.metadata == {
        "username": "bob",
        "before": "member",
        "after": "admin",
        "revoked_keys": [],
        "keys_without_manage": [],
    }
    assert verify_chain(acme.pk) is None


def test_it_answers_htmx_with_the_table(client, alice, bob, acme, htmx):
    client.force_login(alice)
    response = change(client, membership_of(bob), "viewer", **htmx)
    html = response.content.decode()
    assert response.status_code == 200
    assert html.lstrip().startswith('<div id="members"')
    assert "<html" not in html
    assert "bob is now viewer." in html
    assert membership_of(bob).role == Role.VIEWER


def test_it_records_nothing_when_the_role_stays(client, alice, bob, acme):
    client.force_login(alice)
    assert change(client, membership_of(bob), "member").status_code == 302
    assert not AuditEvent.objects.filter(action=Action.ROLE_CHANGED).exists()


def test_it_refuses_to_demote_the_last_admin(client, alice, bob, acme):
    client.force_login(alice)
    response = change(client, membership_of(alice), "member")
    assert response.status_code == 422
    assert "alice is the last admin of Acme" in response.content.decode()
    assert membership_of(alice).role == Role.ADMIN
    assert not AuditEvent.objects.filter(action=Action.ROLE_CHANGED).exists()


def test_it_refuses_to_demote_the_last_admin_from_htmx(client, alice, acme, htmx):
    client.force_login(alice)
    response = change(client, membership_of(alice), "viewer", **htmx)
    html = response.content.decode()
    assert response.status_code == 422
    assert html.lstrip().startswith('<div id="members"')
    assert "the last admin" in html
    assert membership_of(alice).role == Role.ADMIN


def test_an_admin_may_step_down_when_another_admin_remains(client, alice, bob, acme):
    client.force_login(alice)
    change(client, membership_of(bob), "admin")
    response = change(client, membership_of(alice), "member")
    assert response.status_code == 302
    assert response.url == "/"
    assert membership_of(alice).role == Role.MEMBER
    assert client.get("/members/").status_code == 403


def test_an_admin_stepping_down_from_htmx_is_sent_home(client, alice, bob, acme, htmx):
    Membership.objects.filter(user=bob).update(role=Role.ADMIN)
    client.force_login(alice)
    response = change(client, membership_of(alice), "viewer", **htmx)
    assert response.status_code == 200
    assert response["HX-Redirect"] == "/"
    assert membership_of(alice).role == Role.VIEWER


def test_it_refuses_an_unknown_role(client, alice, bob, acme):
    client.force_login(alice)
    assert change(client, membership_of(bob), "owner").status_code == 422
    assert membership_of(bob).role == Role.MEMBER


def test_it_refuses_a_member_promoting_themselves(client, bob, htmx):
    client.force_login(bob)
    assert change(client, membership_of(bob), "admin").status_code == 403
    assert change(client, membership_of(bob), "admin", **htmx).status_code == 403
    assert membership_of(bob).role == Role.MEMBER


def test_it_refuses_a_viewer(client, victor, bob):
    client.force_login(victor)
    assert change(client, membership_of(bob), "viewer").status_code == 403
    assert membership_of(bob).role == Role.MEMBER


def test_it_answers_404_for_another_organizations_membership(
    client, alice, bob, acme, charlie, globex, htmx
):
    client.force_login(charlie)
    assert change(client, membership_of(bob), "viewer").status_code == 404
    assert change(client, membership_of(bob), "viewer", **htmx).status_code == 404
    assert membership_of(bob).role == Role.MEMBER


def test_it_answers_404_for_an_unknown_membership(client, alice, acme):
    client.force_login(alice)
    assert client.post("/members/999999/role/", {"role": "viewer"}).status_code == 404


def test_it_asks_an_anonymous_user_to_sign_in(client, bob):
    response = change(client, membership_of(bob), "admin")
    assert response.status_code == 302
    assert response.url.startswith("/accounts/login/")
    assert membership_of(bob).role == Role.MEMBER


def test_it_refuses_get(client, alice, bob):
    client.force_login(alice)
    assert client.get(url(membership_of(bob))).status_code == 405
