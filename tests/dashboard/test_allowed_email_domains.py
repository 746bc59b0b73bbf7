"""The organization setting `Allowed email domains` (single sign-on newcomers join by it)."""

import time

import pytest

from audit.models import Action, AuditEvent
from dashboard.forms import OrganizationSettingsForm, normalise_domain
from dashboard.sso import SocialSignupForm
from environments.models import Organization

URL = "/settings/"


def test_an_admin_sets_them_normalised_and_it_is_recorded(client, alice, acme):
    client.force_login(alice)
    assert "Allowed email domains" in client.get(URL).content.decode()

    domains = "Acme.EXAMPLE.\n@eng.acme.example, acme.example bücher.example"
    response = client.post(URL, {"name": acme.name, "allowed_email_domains": domains})

    assert response.status_code == 302
    acme.refresh_from_db()
    assert acme.allowed_email_domains == [
        "acme.example",
        "eng.acme.example",
        "xn--bcher-kva.example",
    ]
    event = AuditEvent.objects.get(action=Action.ORGANIZATION_UPDATED)
    assert event.metadata == {
        "before": {"allowed_email_domains": []},
        "after": {"allowed_email_domains": acme.allowed_email_domains},
    }
    page = client.get(URL).content.decode()
    assert "acme.example\neng.acme.example" in page
    assert "joins this organization as a viewer" in page


@pytest.mark.parametrize(
    ("entry", "error"),
    [
        ("localhost", "is not a domain name"),
        ("-acme.example", "is not a domain name"),
        ("acme..example", "is not a domain name"),
        ("10.0.0.1", "is not a domain name"),
        ("a" * 64 + ".example", "is not a domain name"),
        ("GMail.com", "gmail.com is a public mail service"),
    ],
)
def test_anything_but_a_private_domain_is_refused(client, alice, acme, entry, error):
    client.force_login(alice)
    response = client.post(
        URL, {"name": acme.name, "allowed_email_domains": f"acme.example\n{entry}"}
    )
    assert response.status_code == 422
    assert error in response.content.decode()
    acme.refresh_from_db()
    assert acme.allowed_email_domains == []
    assert not AuditEvent.objects.filter(action=Action.ORGANIZATION_UPDATED).exists()


def test_a_domain_belongs_to_one_organization(alice, acme, globex):
    Organization.objects.filter(pk=globex.pk).update(allowed_email_domains=["acme.example"])
    form = OrganizationSettingsForm({"allowed_email_domains": "acme.example"}, instance=acme)
    assert not form.is_valid()
    assert form.errors["allowed_email_domains"] == [
        "Another organization already allows acme.example."
    ]
    # Its own domains are no clash when the organization saves again.
    form = OrganizationSettingsForm(
        {"name": globex.name, "allowed_email_domains": "acme.example"}, instance=globex
    )
    assert form.is_valid(), form.errors


def test_at_most_twenty(acme):
    many = "\n".join(f"d{n}.example" for n in range(21))
    form = OrganizationSettingsForm({"allowed_email_domains": many}, instance=acme)
    assert form.errors["allowed_email_domains"] == ["At most 20 domains."]


def test_organizations_allowing_an_address_match_its_domain_exactly(acme, globex):
    Organization.objects.filter(pk=acme.pk).update(allowed_email_domains=["acme.example"])
    assert Organization.objects.allowing_email("dana@ACME.example") == [acme]
    assert Organization.objects.allowing_email("dana@eng.acme.example") == []
    assert Organization.objects.allowing_email("acme.example") == []
    assert normalise_domain(" Acme.Example. ") == "acme.example"


def test_it_needs_a_recent_sign_in(client, alice, acme, settings):
    client.force_login(alice)
    session = client.session
    session["account_authentication_methods"][0]["at"] = time.time() - 3600
    session.save()
    response = client.post(URL, {"allowed_email_domains": "acme.example"})
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/reauthenticate/")
    acme.refresh_from_db()
    assert acme.allowed_email_domains == []


def test_members_and_managers_cannot_change_them(client, bob, mia, acme):
    for user in (bob, mia):
        client.force_login(user)
        assert client.post(URL, {"allowed_email_domains": "evil.example"}).status_code == 403
    acme.refresh_from_db()
    assert acme.allowed_email_domains == []


def test_the_sso_sign_up_form_creates_no_organization(db):
    assert "organization" not in SocialSignupForm.base_fields
