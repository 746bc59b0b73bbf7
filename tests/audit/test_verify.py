import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from audit.models import AuditEvent, ChainHead
from tests.audit.conftest import sign_ins, tamper

# Some tests here alter the audit table by hand on purpose.
pytestmark = pytest.mark.tampers_with_audit

URL = "/audit/verify/"


@pytest.fixture
def events(acme, alice):
    return sign_ins(acme, alice, 4)


def test_it_verifies_and_shows_the_outcome(login, alice, acme, events):
    response = login(alice).post(URL, follow=True)
    assert response.redirect_chain == [("/audit/", 302)]
    html = response.content.decode()
    assert "The chain is intact (5 events)." in html
    assert f"5 events checked, through event #{events[-1].pk}" in html
    head = ChainHead.for_organization(acme.pk)
    assert head.verified_intact
    assert head.verified_by == "alice"
    assert head.last_hash == events[-1].hash


def test_it_answers_htmx_with_the_chain_state_alone(login, alice, events, htmx):
    html = login(alice).post(URL, **htmx).content.decode()
    assert html.lstrip().startswith('<section id="chain-state"')
    assert "<strong>Intact.</strong>" in html
    assert "<html" not in html


def test_it_names_the_first_broken_event(login, alice, events, htmx):
    tamper("UPDATE audit_auditevent SET target_name = 'x' WHERE id = %s", [events[1].pk])
    html = login(alice).post(URL, **htmx).content.decode()
    assert f"<strong>Broken</strong> at event {events[1].pk}: its content does not match" in html
    page = login(alice).get("/audit/").content.decode()
    assert f"<strong>Broken</strong> at event {events[1].pk}" in page


def test_the_command_records_its_outcome_too(login, alice, acme, events):
    call_command("verify_audit_chain", organization="acme")
    html = login(alice).get("/audit/").content.decode()
    assert "5 events checked" in html
    assert "by verify_audit_chain" in html


def test_the_command_checks_every_chain_and_fails_on_any(acme, globex, events):
    tamper("DELETE FROM audit_auditevent WHERE id = %s", [events[0].pk])
    with pytest.raises(
        CommandError, match=f"organization {acme.pk} is broken at event {events[1].pk}"
    ):
        call_command("verify_audit_chain")
    assert ChainHead.for_organization(globex.pk).verified_intact
    with pytest.raises(CommandError, match="No organization 'nope'"):
        call_command("verify_audit_chain", organization="nope")


def test_it_only_answers_post(login, alice, events):
    assert login(alice).get(URL).status_code == 405


def test_members_and_viewers_get_403(login, bob, victor, acme, events, htmx):
    assert login(bob).post(URL).status_code == 403
    assert login(victor).post(URL, **htmx).status_code == 403
    assert ChainHead.for_organization(acme.pk).verified_at is None


def test_anonymous_is_sent_to_sign_in(client, events):
    response = client.post(URL)
    assert response.status_code == 302
    assert response.url.startswith("/accounts/login/")


def test_another_organization_verifies_only_its_own(login, charlie, globex, acme, events, htmx):
    tamper("UPDATE audit_auditevent SET target_name = 'x' WHERE id = %s", [events[1].pk])
    html = login(charlie).post(URL, **htmx).content.decode()
    assert "<strong>Intact.</strong>" in html
    assert "1 event checked" in html
    assert ChainHead.for_organization(acme.pk).verified_at is None
    assert AuditEvent.objects.filter(organization=globex).count() == 1
