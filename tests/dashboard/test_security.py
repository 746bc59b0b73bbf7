"""Headers and CSRF plumbing every dashboard page relies on."""

import re

import pytest
from django.test import Client

from environments.models import Membership, Project, Role


def directives(response):
    policy = response["Content-Security-Policy"]
    return {
        name: values
        for name, *values in (part.split() for part in policy.split(";") if part.strip())
    }


def post_forms(html):
    return re.findall(r'<form\b[^>]*method="post"[^>]*>.*?</form>', html, re.S | re.I)


@pytest.fixture
def pages(client, alice, acme, development, charlie, globex):
    """Every dashboard page alice can open, with the organization switcher showing."""
    Membership.objects.create(organization=globex, user=alice, role=Role.MEMBER)
    client.force_login(alice)
    urls = ["/quickstart/", "/projects/", f"/projects/{development.project.slug}/"]
    return {url: client.get(url) for url in urls}


def test_it_sends_a_nonce_based_script_policy(pages):
    for response in pages.values():
        script_src = directives(response)["script-src"]
        assert "'self'" in script_src
        assert any(value.startswith("'nonce-") for value in script_src)
        assert "'unsafe-inline'" not in script_src
        assert "'unsafe-eval'" not in script_src


def test_every_script_carries_the_nonce_and_none_is_inline(pages):
    for response in pages.values():
        html = response.content.decode()
        nonce = next(v for v in directives(response)["script-src"] if v.startswith("'nonce-"))
        scripts = re.findall(r"<script\b[^>]*>", html)
        assert scripts
        for tag in scripts:
            assert f'nonce="{nonce[7:-1]}"' in tag
            assert "src=" in tag
        assert "hx-on" not in html


def test_it_forbids_framing(pages):
    for response in pages.values():
        assert response["X-Frame-Options"] == "DENY"
        assert directives(response)["frame-ancestors"] == ["'none'"]


def test_every_post_form_carries_a_csrf_token(pages):
    forms = [form for response in pages.values() for form in post_forms(response.content.decode())]
    assert len(forms) >= 6  # switch, sign out, project, environment, ...
    for form in forms:
        assert 'name="csrfmiddlewaretoken"' in form


def test_the_body_sends_the_csrf_token_to_htmx(pages):
    for response in pages.values():
        html = response.content.decode()
        match = re.search(r"<body\b[^>]*hx-headers='([^']*)'", html)
        assert match
        assert re.fullmatch(r'\{"X-CSRFToken": "[A-Za-z0-9]{32,64}"\}', match.group(1))


def test_the_sign_in_and_sign_up_forms_carry_a_csrf_token(client, db):
    for url in ("/accounts/login/", "/accounts/signup/"):
        response = client.get(url)
        forms = post_forms(response.content.decode())
        assert forms
        assert all('name="csrfmiddlewaretoken"' in form for form in forms)
        assert "'unsafe-inline'" not in directives(response)["script-src"]


def test_the_htmx_fragments_carry_the_policy_too(client, alice, acme, htmx):
    client.force_login(alice)
    response = client.get("/quickstart/", **htmx)
    assert "'unsafe-inline'" not in directives(response)["script-src"]
    for form in post_forms(response.content.decode()):
        assert 'name="csrfmiddlewaretoken"' in form


def test_a_post_without_a_csrf_token_is_refused(alice, acme):
    client = Client(enforce_csrf_checks=True)
    client.force_login(alice)
    response = client.post("/projects/", {"name": "Billing API"})
    assert response.status_code == 403
    assert not Project.objects.exists()


def test_an_htmx_post_without_a_csrf_token_is_refused(alice, acme, htmx):
    client = Client(enforce_csrf_checks=True)
    client.force_login(alice)
    response = client.post("/quickstart/project/", {"name": "Billing API"}, **htmx)
    assert response.status_code == 403
    assert not Project.objects.exists()


def test_a_post_with_the_header_token_is_accepted(alice, acme, htmx):
    client = Client(enforce_csrf_checks=True)
    client.force_login(alice)
    html = client.get("/quickstart/").content.decode()
    token = re.search(r'"X-CSRFToken": "([^"]+)"', html).group(1)
    response = client.post(
        "/quickstart/project/", {"name": "Billing API"}, HTTP_X_CSRFTOKEN=token, **htmx
    )
    assert response.status_code == 200
    assert Project.objects.get().name == "Billing API"


def test_a_sign_in_without_a_csrf_token_is_refused(alice, acme):
    client = Client(enforce_csrf_checks=True)
    response = client.post("/accounts/login/", {"login": "alice", "password": "x"})
    assert response.status_code == 403
