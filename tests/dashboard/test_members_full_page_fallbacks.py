"""`Add member` and `Remove member`, opened as full pages: plain forms that post without htmx.

Only inside the dialog partial do they carry `hx-post … hx-target="closest dialog"`: on a full
page there is no dialog to swap, and htmx would cancel the submit (`htmx:targetError`).
"""

import re

import pytest

from environments.models import Membership


def form_tag(html, action):
    """The opening tag of the form that posts to `action`."""
    return re.search(rf'<form method="post" action="{re.escape(action)}"[^>]*>', html).group(0)


@pytest.fixture(params=["new", "remove"])
def url(request, bob):
    """The URL of a member dialog that has a full-page fallback (it posts to itself)."""
    if request.param == "new":
        return "/members/new/"
    return f"/members/{Membership.objects.get(user=bob).pk}/remove/"


def test_it_renders_a_plain_form_on_the_full_page(client, alice, url):
    client.force_login(alice)
    response = client.get(url)
    html = response.content.decode()
    assert response.status_code == 200
    assert "<html" in html
    assert "hx-post" not in form_tag(html, url)


def test_it_renders_an_htmx_form_in_the_dialog(client, alice, url, htmx):
    client.force_login(alice)
    response = client.get(url, **htmx)
    html = response.content.decode()
    assert response.status_code == 200
    assert html.lstrip().startswith("<dialog")
    tag = form_tag(html, url)
    assert f'hx-post="{url}"' in tag
    assert 'hx-target="closest dialog" hx-swap="outerHTML"' in tag


def test_it_keeps_the_dialog_form_after_an_invalid_htmx_post(client, alice, acme, htmx):
    client.force_login(alice)
    response = client.post("/members/new/", {"username": ""}, **htmx)
    assert response.status_code == 422
    assert 'hx-post="/members/new/"' in form_tag(response.content.decode(), "/members/new/")


def test_it_404s_for_a_non_member(client, charlie, globex, bob):
    client.force_login(charlie)
    assert client.get(f"/members/{Membership.objects.get(user=bob).pk}/remove/").status_code == 404
