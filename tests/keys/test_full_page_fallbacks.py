"""The key dialogs' forms, opened as full pages: plain forms that post without htmx.

Only inside the dialog partial do they carry `hx-post … hx-target="closest dialog"`: on a full
page there is no dialog to swap, and htmx would cancel the submit (`htmx:targetError`).
"""

import re

import pytest


def form_tag(html, action):
    """The opening tag of the form that posts to `action`."""
    return re.search(rf'<form method="post" action="{re.escape(action)}"[^>]*>', html).group(0)


@pytest.fixture(params=["environment-new", "new", "rotate", "revoke"])
def fallback(request, development, api_key):
    """(page URL, form action) of a key dialog that has a full-page fallback."""
    key = api_key[0]
    environment_new = (
        f"/projects/{development.project.slug}/environments/{development.slug}/keys/new/"
    )
    return {
        "environment-new": (environment_new, environment_new),
        "new": ("/keys/new/", "/keys/new/"),
        "rotate": (f"/keys/{key.public_id}/rotate/", f"/keys/{key.public_id}/rotate/"),
        "revoke": (f"/keys/revoke/?keys={key.public_id}", "/keys/revoke/"),
    }[request.param]


def test_it_renders_a_plain_form_on_the_full_page(client, alice, fallback):
    url, action = fallback
    client.force_login(alice)
    response = client.get(url)
    html = response.content.decode()
    assert response.status_code == 200
    assert "<html" in html
    assert "hx-post" not in form_tag(html, action)


def test_it_renders_an_htmx_form_in_the_dialog(client, alice, fallback, htmx):
    url, action = fallback
    client.force_login(alice)
    response = client.get(url, **htmx)
    html = response.content.decode()
    assert response.status_code == 200
    assert html.lstrip().startswith("<dialog")
    tag = form_tag(html, action)
    assert f'hx-post="{action}"' in tag
    assert 'hx-target="closest dialog" hx-swap="outerHTML"' in tag


def test_it_keeps_the_dialog_form_after_an_invalid_htmx_post(client, alice, api_key, htmx):
    client.force_login(alice)
    url = f"/keys/{api_key[0].public_id}/rotate/"
    response = client.post(url, {"grace_seconds": "-1"}, **htmx)
    assert response.status_code == 422
    assert f'hx-post="{url}"' in form_tag(response.content.decode(), url)


def test_it_posts_the_full_page_rotation_as_a_plain_form(client, alice, api_key):
    client.force_login(alice)
    key = api_key[0]
    response = client.post(f"/keys/{key.public_id}/rotate/", {"grace_seconds": "0"})
    html = response.content.decode()
    assert response.status_code == 200
    assert "<html" in html
    assert "Store this private key securely" in html


def test_it_404s_for_a_non_member(client, charlie, globex, api_key):
    client.force_login(charlie)
    assert client.get(f"/keys/{api_key[0].public_id}/rotate/").status_code == 404
