"""The Members page: who is in the organization, with which role (admins only)."""

import re

from environments.models import Membership, Role

URL = "/members/"


def rows(html):
    """{username: the row's html} of the members table."""
    return dict(re.findall(r'<tr id="member-\d+" data-member="([^"]+)">(.*?)</tr>', html, re.S))


def selected_role(row):
    return re.search(r'<option value="(\w+)" selected>', row).group(1)


def test_it_lists_the_members_and_their_roles(client, alice, bob, victor):
    client.force_login(alice)
    response = client.get(URL)
    html = response.content.decode()
    assert response.status_code == 200
    assert "<html" in html
    members = rows(html)
    assert list(members) == ["alice", "bob", "victor"]
    assert {name: selected_role(row) for name, row in members.items()} == {
        "alice": "admin",
        "bob": "member",
        "victor": "viewer",
    }
    assert html.count(">Change role</button>") == 3
    assert "Add member" in html


def test_it_answers_htmx_with_the_table_alone(client, alice, bob, htmx):
    client.force_login(alice)
    response = client.get(URL, **htmx)
    html = response.content.decode()
    assert response.status_code == 200
    assert html.lstrip().startswith('<div id="members"')
    assert "<html" not in html
    assert list(rows(html)) == ["alice", "bob"]
    assert "HX-Request" in response["Vary"]


def test_the_table_refreshes_when_members_change(client, alice, acme):
    client.force_login(alice)
    assert 'hx-trigger="membersChanged from:body"' in client.get(URL).content.decode()


def test_it_lists_only_the_current_organizations_members(client, alice, bob, charlie, globex):
    client.force_login(alice)
    assert "charlie" not in client.get(URL).content.decode()


def test_it_offers_no_removal_of_the_only_admin(client, alice, bob):
    client.force_login(alice)
    members = rows(client.get(URL).content.decode())
    assert ">Remove</button>" not in members["alice"]
    assert "only admin" in members["alice"]
    assert ">Remove</button>" in members["bob"]


def test_it_offers_removal_of_every_admin_when_there_are_two(client, alice, bob, acme):
    Membership.objects.filter(user=bob).update(role=Role.ADMIN)
    client.force_login(alice)
    members = rows(client.get(URL).content.decode())
    assert ">Remove</button>" in members["alice"]
    assert ">Remove</button>" in members["bob"]


def test_every_form_carries_a_csrf_token_and_no_inline_script(client, alice, bob, victor):
    client.force_login(alice)
    html = client.get(URL).content.decode()
    forms = re.findall(r'<form\b[^>]*method="post"[^>]*>.*?</form>', html, re.S)
    assert len(forms) >= 4  # three role forms and sign-out
    assert all('name="csrfmiddlewaretoken"' in form for form in forms)
    assert "hx-on" not in html
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html)
    assert "style=" not in html


def test_the_navigation_shows_members_to_admins_only(client, alice, bob):
    client.force_login(alice)
    assert f'href="{URL}">Members</a>' in client.get("/projects/").content.decode()
    client.force_login(bob)
    assert f'href="{URL}">Members</a>' not in client.get("/projects/").content.decode()


def test_it_refuses_a_member(client, bob):
    client.force_login(bob)
    assert client.get(URL).status_code == 403


def test_it_refuses_a_viewer(client, victor, htmx):
    client.force_login(victor)
    assert client.get(URL).status_code == 403
    assert client.get(URL, **htmx).status_code == 403


def test_it_shows_another_organization_only_its_own_members(client, alice, acme, charlie, globex):
    client.force_login(charlie)
    html = client.get(URL).content.decode()
    assert list(rows(html)) == ["charlie"]
    assert "alice" not in html


def test_it_asks_an_anonymous_user_to_sign_in(client, acme):
    response = client.get(URL)
    assert response.status_code == 302
    assert response.url.startswith("/accounts/login/")


def test_it_refuses_post(client, alice, acme):
    client.force_login(alice)
    assert client.post(URL).status_code == 405
