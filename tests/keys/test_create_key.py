import json
import re
from html import unescape

import pytest
from django.urls import reverse

from audit.models import AuditEvent
from keys.models import ApiKey, Kind, digest
from keys.tokens import KEY_RE


def create_url(environment):
    return reverse("keys:create", args=[environment.project.slug, environment.slug])


def login(client, user):
    client.force_login(user)


def shown_key(response):
    match = KEY_RE.search(response.content.decode())
    assert match, "the response shows no key"
    return match.group(0)


def test_it_shows_the_form_in_a_dialog_for_htmx(client, alice, development, htmx):
    login(client, alice)
    response = client.get(create_url(development), **htmx)
    html = response.content.decode()
    assert response.status_code == 200
    assert html.lstrip().startswith("<dialog")
    assert 'closedby="any"' in html
    assert "API Key Name" in html
    assert re.search(r'<input[^>]*name="read"[^>]*checked', html)
    assert re.search(r'<input[^>]*name="read"[^>]*disabled', html)
    assert 'name="write"' in html
    assert ">Create</button>" in html
    assert "<html" not in html


def test_it_shows_the_form_as_a_page_without_htmx(client, alice, development):
    login(client, alice)
    response = client.get(create_url(development))
    html = response.content.decode()
    assert "<html" in html
    assert "API Key Name" in html
    assert "<dialog" not in html


def test_it_creates_a_key_and_shows_it_once(client, alice, development, htmx):
    login(client, alice)
    response = client.post(create_url(development), {"name": "deploy", "write": "on"}, **htmx)
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    assert "keyCreated" in json.loads(response["HX-Trigger"])
    html = response.content.decode()
    assert "Store this private key securely" in html
    assert 'closedby="none"' in html
    assert re.search(r"<button[^>]*data-close-modal[^>]*disabled[^>]*>Close</button>", html)
    assert ">Copy</button>" in html
    plaintext = shown_key(response)
    assert plaintext.startswith("kd_test_")
    key = ApiKey.objects.get()
    assert key.digest == digest(plaintext)
    assert key.name == "deploy"
    assert key.permissions == ["read", "write"]
    assert key.kind == Kind.PERSONAL
    assert key.created_by == alice
    assert key.environment == development
    assert 'data-permissions><span class="tag">Read</span> <span class="tag">Write</span>' in html


def test_the_dialog_shows_the_first_request_with_the_key_in_three_languages(
    client, alice, development, htmx
):
    login(client, alice)
    response = client.post(create_url(development), {"name": "deploy"}, **htmx)
    text = unescape(response.content.decode())
    plaintext = shown_key(response)
    url = "http://testserver/v1/auth/verify"
    assert f'curl -H "Authorization: Bearer {plaintext}" {url}' in text
    assert f'headers={{"Authorization": "Bearer {plaintext}"}}' in text
    assert f'await fetch("{url}", {{\n  headers: {{ Authorization: "Bearer {plaintext}" }}' in text
    # One partial: three tabs, three panels, a copy button each; none of them a second `Copy`.
    assert text.count('role="tab"') == text.count('role="tabpanel"') == 3
    assert text.count("data-copy-snippet=") == 3
    assert text.count(">Copy</button>") == 1


def test_it_creates_a_key_as_a_page_without_htmx(client, bob, development):
    login(client, bob)
    response = client.post(create_url(development), {"name": "deploy"})
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    assert ApiKey.objects.get().digest == digest(shown_key(response))
    assert "<dialog" not in response.content.decode()


def test_it_never_shows_the_key_again(client, alice, development):
    login(client, alice)
    plaintext = shown_key(client.post(create_url(development), {"name": "deploy"}))
    tab = client.get(reverse("keys:environment", args=["billing-api", "development"]))
    assert plaintext not in tab.content.decode()
    assert ApiKey.objects.get().hint in tab.content.decode()


def test_it_ignores_a_forged_read_field(client, alice, development):
    login(client, alice)
    client.post(create_url(development), {"name": "x", "read": ""})
    assert ApiKey.objects.get().permissions == ["read"]


def test_it_sets_an_expiry(client, alice, development):
    login(client, alice)
    client.post(create_url(development), {"name": "x", "expires_in": "30"})
    key = ApiKey.objects.get()
    assert key.expires_at is not None
    assert 29 <= (key.expires_at - key.created_at).days <= 30


def test_it_rejects_a_missing_name_and_keeps_the_input(client, alice, development, htmx):
    login(client, alice)
    response = client.post(
        create_url(development), {"name": "", "write": "on", "expires_in": "7"}, **htmx
    )
    assert response.status_code == 422
    assert "This field is required." in response.content.decode()
    assert re.search(r'<input[^>]*name="write"[^>]*checked', response.content.decode())
    assert not ApiKey.objects.exists()


def test_it_rejects_an_unknown_expiry(client, alice, development):
    login(client, alice)
    response = client.post(create_url(development), {"name": "x", "expires_in": "9999"})
    assert response.status_code == 422
    assert not ApiKey.objects.exists()


def test_only_admins_may_grant_manage(client, alice, bob, development):
    login(client, bob)
    assert 'name="manage"' not in client.get(create_url(development)).content.decode()
    client.post(create_url(development), {"name": "b", "manage": "on"})
    assert ApiKey.objects.get(name="b").permissions == ["read"]
    login(client, alice)
    assert 'name="manage"' in client.get(create_url(development)).content.decode()
    client.post(create_url(development), {"name": "a", "manage": "on"})
    assert ApiKey.objects.get(name="a").permissions == ["read", "manage"]


def test_it_records_the_creation(client, alice, development):
    login(client, alice)
    client.post(create_url(development), {"name": "deploy"}, HTTP_USER_AGENT="pytest-agent")
    event = AuditEvent.objects.get(action="key_created")
    assert event.actor_kind == "user"
    assert event.actor_name == "alice"
    assert event.ip == "127.0.0.1"
    assert event.user_agent == "pytest-agent"
    assert event.environment_id == development.pk


def test_the_quickstart_variant_offers_every_environment(client, alice, development, production):
    login(client, alice)
    url = reverse("keys:create_any") + f"?environment={production.pk}"
    html = client.get(url).content.decode()
    assert "Environment" in html
    assert re.search(rf'<option value="{production.pk}" selected>', html)
    assert f'<option value="{development.pk}">' in html
    response = client.post(reverse("keys:create_any"), {"environment": production.pk, "name": "q"})
    assert shown_key(response).startswith("kd_live_")
    assert ApiKey.objects.get().environment == production


def test_the_quickstart_variant_refuses_another_organizations_environment(
    client, alice, development, globex_environment
):
    login(client, alice)
    response = client.post(
        reverse("keys:create_any"), {"environment": globex_environment.pk, "name": "q"}
    )
    assert response.status_code == 422
    assert not ApiKey.objects.exists()


def test_a_viewer_cannot_create_keys(client, victor, development):
    login(client, victor)
    assert client.get(create_url(development)).status_code == 403
    assert client.post(create_url(development), {"name": "x"}).status_code == 403
    assert client.post(reverse("keys:create_any"), {"name": "x"}).status_code == 403
    assert not ApiKey.objects.exists()


def test_another_organization_gets_404(client, charlie, globex, development):
    login(client, charlie)
    assert client.get(create_url(development)).status_code == 404
    assert client.post(create_url(development), {"name": "x"}).status_code == 404
    assert not ApiKey.objects.exists()


def test_anonymous_users_are_sent_to_sign_in(client, development):
    response = client.post(create_url(development), {"name": "x"})
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("dashboard:login"))
    assert not ApiKey.objects.exists()


@pytest.mark.parametrize("method", ["put", "delete", "patch"])
def test_other_methods_are_refused(client, alice, development, method):
    login(client, alice)
    assert getattr(client, method)(create_url(development)).status_code == 405


def test_admins_may_make_service_keys_members_may_not(client, alice, bob, development):
    login(client, alice)
    assert 'value="service"' in client.get(create_url(development)).content.decode()
    client.post(create_url(development), {"name": "svc", "kind": "service"})
    assert ApiKey.objects.get(name="svc").kind == Kind.SERVICE
    login(client, bob)
    assert 'value="service"' not in client.get(create_url(development)).content.decode()
    client.post(create_url(development), {"name": "mine", "kind": "service"})
    assert ApiKey.objects.get(name="mine").kind == Kind.PERSONAL


def test_an_unknown_kind_is_refused(client, alice, development):
    login(client, alice)
    response = client.post(create_url(development), {"name": "x", "kind": "root"})
    assert response.status_code == 422
    assert not ApiKey.objects.exists()
