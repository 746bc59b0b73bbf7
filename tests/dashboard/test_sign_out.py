from audit.chain import verify_chain
from audit.models import Action, AuditEvent

URL = "/accounts/logout/"


def test_it_signs_out(client, alice, acme):
    client.force_login(alice)
    response = client.post(URL)
    assert response.status_code == 302
    assert response.url == "/accounts/login/"
    assert "_auth_user_id" not in client.session


def test_it_signs_out_from_htmx(client, alice, acme, htmx):
    client.force_login(alice)
    response = client.post(URL, **htmx)
    assert response.status_code == 302
    assert "_auth_user_id" not in client.session


def test_it_records_the_sign_out(client, alice, acme):
    client.force_login(alice)
    client.post(URL)
    event = AuditEvent.objects.get(action=Action.SIGN_OUT)
    assert event.organization == acme
    assert event.actor_name == "alice"
    assert verify_chain(acme.pk) is None


def test_it_refuses_get(client, alice, acme):
    client.force_login(alice)
    response = client.get(URL)
    assert response.status_code == 405
    assert "_auth_user_id" in client.session
    assert not AuditEvent.objects.filter(action=Action.SIGN_OUT).exists()


def test_it_refuses_get_from_htmx(client, alice, acme, htmx):
    client.force_login(alice)
    assert client.get(URL, **htmx).status_code == 405
    assert "_auth_user_id" in client.session


def test_it_records_nothing_for_an_anonymous_user(client, db):
    response = client.post(URL)
    assert response.status_code == 302
    assert not AuditEvent.objects.exists()


def test_the_sign_out_button_is_a_post_form(client, alice, acme):
    client.force_login(alice)
    html = client.get("/projects/").content.decode()
    assert f'<form method="post" action="{URL}"' in html


def test_it_records_the_sign_out_of_a_user_with_no_organization(client, charlie):
    client.force_login(charlie)
    client.post(URL)
    event = AuditEvent.objects.get(action=Action.SIGN_OUT)
    assert event.organization is None
    assert verify_chain(None) is None


def test_it_records_the_sign_out_in_each_organization(client, alice, acme, charlie, globex):
    from environments.models import Membership, Role

    Membership.objects.create(organization=globex, user=alice, role=Role.MEMBER)
    client.force_login(alice)
    client.post(URL)
    events = AuditEvent.objects.filter(action=Action.SIGN_OUT)
    assert sorted(e.organization.slug for e in events) == ["acme", "globex"]
