from datetime import timedelta

from django.utils import timezone

from audit.models import AuditEvent
from keys.models import issue_api_key


def url(key):
    return f"/keys/{key.public_id}/edit/"


def form(**changes):
    data = {
        "name": "CI deploys",
        "description": "",
        "expires_at": "",
        "allowed_ips": "",
        "rate_limit": "",
    }
    data.update(changes)
    return data


def test_it_shows_the_current_settings(client, alice, api_key):
    client.force_login(alice)
    html = client.get(url(api_key[0])).content.decode()
    assert 'value="CI deploys"' in html
    assert "Allowed IP networks" in html


def test_it_changes_a_key_and_records_before_and_after(client, alice, api_key):
    key, plaintext = api_key
    client.force_login(alice)
    response = client.post(
        url(key),
        form(
            name="deploys",
            write="on",
            allowed_ips="10.0.0.0/8\n 2001:db8::1 \n",
            rate_limit="60",
            expires_at="2031-05-01T12:30",
        ),
    )
    assert response.status_code == 302
    assert response["Location"] == f"/keys/{key.public_id}/"
    key.refresh_from_db()
    assert key.name == "deploys"
    assert key.permissions == ["read", "write"]
    assert key.allowed_ips == ["10.0.0.0/8", "2001:db8::1/128"]
    assert key.rate_limit == 60
    assert key.expires_at.isoformat() == "2031-05-01T12:30:00+00:00"
    event = AuditEvent.objects.get(action="key_updated")
    assert event.metadata["before"]["name"] == "CI deploys"
    assert event.metadata["after"]["name"] == "deploys"
    assert event.metadata["after"]["allowed_ips"] == ["10.0.0.0/8", "2001:db8::1/128"]
    assert plaintext not in str(event.metadata)


def test_nothing_changed_records_nothing(client, alice, api_key):
    client.force_login(alice)
    client.post(url(api_key[0]), form())
    assert not AuditEvent.objects.filter(action="key_updated").exists()


def test_saving_the_edit_form_unchanged_keeps_the_exact_expiry(client, alice, development):
    expires = timezone.now().replace(microsecond=123456) + timedelta(days=3)
    key, _ = issue_api_key(environment=development, name="k", by=alice, expires_at=expires)
    client.force_login(alice)
    page = client.get(f"/keys/{key.public_id}/edit/").content.decode()
    shown = expires.strftime("%Y-%m-%dT%H:%M:%S")
    assert f'value="{shown}"' in page
    client.post(
        f"/keys/{key.public_id}/edit/",
        {"name": "renamed", "expires_at": shown, "allowed_ips": "", "rate_limit": ""},
    )
    key.refresh_from_db()
    assert key.expires_at == expires
    assert set(AuditEvent.objects.get(action="key_updated").metadata["after"]) == {"name"}


def test_it_rejects_a_bad_network_and_keeps_the_input(client, alice, api_key):
    client.force_login(alice)
    response = client.post(url(api_key[0]), form(name="x", allowed_ips="10.0.0.0/8\nnope"))
    assert response.status_code == 422
    html = response.content.decode()
    assert "&#x27;nope&#x27; is not an IP address or network." in html
    assert "10.0.0.0/8" in html
    api_key[0].refresh_from_db()
    assert api_key[0].name == "CI deploys"


def test_only_admins_grant_manage(client, bob, development):
    key, _ = issue_api_key(environment=development, name="bob's", by=bob)
    client.force_login(bob)
    client.post(url(key), form(name="bob's", manage="on"))
    key.refresh_from_db()
    assert key.permissions == ["read"]


def test_a_member_keeps_an_admin_granted_manage(client, alice, bob, development):
    key, _ = issue_api_key(environment=development, name="bob's", by=bob, manage=True)
    client.force_login(bob)
    client.post(url(key), form(name="renamed"))
    key.refresh_from_db()
    assert key.name == "renamed"
    assert key.permissions == ["read", "manage"]


def test_a_member_cannot_edit_someone_elses_key(client, bob, api_key):
    client.force_login(bob)
    assert client.get(url(api_key[0])).status_code == 403
    assert client.post(url(api_key[0]), form(name="x")).status_code == 403


def test_a_viewer_gets_403(client, victor, api_key):
    client.force_login(victor)
    assert client.post(url(api_key[0]), form(name="x")).status_code == 403


def test_another_organization_gets_404(client, charlie, globex, api_key):
    client.force_login(charlie)
    assert client.post(url(api_key[0]), form(name="x")).status_code == 404
    api_key[0].refresh_from_db()
    assert api_key[0].name == "CI deploys"
