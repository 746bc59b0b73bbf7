from datetime import timedelta

from django.utils import timezone

from keys.models import issue_api_key, revoke_api_key, rotate_api_key


def url(key):
    return f"/keys/{key.public_id}/"


def test_it_shows_settings_timeline_and_use(client, alice, api_key):
    key, plaintext = api_key
    key.usage.create(day=timezone.now().date(), requests=12)
    revoke_api_key(key=key, by=alice, reason="leaked in CI logs")
    client.force_login(alice)
    html = client.get(url(key)).content.decode()
    assert key.public_id in html
    assert key.hint in html
    assert ">revoked<" in html
    assert "Key created" in html
    assert "Key revoked" in html
    assert "leaked in CI logs" in html
    assert "<td>12</td>" in html
    assert plaintext not in html


def test_it_links_a_rotated_key_to_its_successor(client, alice, api_key):
    key, _ = api_key
    new, _ = rotate_api_key(key=key, by=alice, grace_seconds=3600)
    client.force_login(alice)
    html = client.get(url(key)).content.decode()
    assert "Replaced by" in html
    assert new.hint in html
    assert "expires in" in html
    assert "Replaces" in client.get(url(new)).content.decode()


def test_viewers_see_it_without_actions(client, victor, api_key):
    client.force_login(victor)
    html = client.get(url(api_key[0])).content.decode()
    assert api_key[0].hint in html
    assert ">Edit</a>" not in html
    assert ">Rotate</button>" not in html
    assert ">Revoke</button>" not in html


def test_a_member_gets_actions_on_their_own_keys_only(client, bob, development, api_key):
    mine, _ = issue_api_key(environment=development, name="mine", by=bob)
    client.force_login(bob)
    assert ">Rotate</button>" in client.get(url(mine)).content.decode()
    assert ">Rotate</button>" not in client.get(url(api_key[0])).content.decode()


def test_another_organization_gets_404(client, charlie, globex, api_key):
    client.force_login(charlie)
    assert client.get(url(api_key[0])).status_code == 404


def test_an_unknown_key_is_404(client, alice, acme):
    client.force_login(alice)
    assert client.get("/keys/key_doesnotexist0000/").status_code == 404


def test_an_expired_key_shows_expired(client, alice, development):
    key, _ = issue_api_key(
        environment=development,
        name="old",
        by=alice,
        expires_at=timezone.now() - timedelta(hours=1),
    )
    client.force_login(alice)
    assert ">expired<" in client.get(url(key)).content.decode()


def test_htmx_asks_for_the_body_alone_after_a_change(client, alice, htmx, api_key):
    """Revoke and Rotate send `keysChanged`; the page then fetches its body, in its new state."""
    key, _ = api_key
    client.force_login(alice)
    body = client.get(url(key), **htmx).content.decode()
    assert body.strip().startswith('<div id="key-page"')
    assert "<html" not in body
    assert 'hx-trigger="keysChanged from:body"' in body
    assert ">active<" in body
    revoke_api_key(key=key, by=alice, reason="leaked")
    body = client.get(url(key), **htmx).content.decode()
    assert ">revoked<" in body
    assert "Rotate" not in body
    assert "Edit" not in body
