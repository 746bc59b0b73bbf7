from datetime import timedelta

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from audit.chain import prune_chain, verify_chain
from audit.models import GENESIS_HASH, Action, AuditEvent
from tests.audit.conftest import clock, sign_ins, tamper

# Some tests here alter the audit table by hand on purpose.
pytestmark = pytest.mark.tampers_with_audit


def ago(days):
    return timezone.now() - timedelta(days=days)


def chain(organization):
    return list(AuditEvent.objects.chain(organization.pk))


def test_the_checkpoint_carries_the_last_pruned_hash(acme, alice):
    with clock(ago(400)):
        old = sign_ins(acme, alice, 3)
    # Everything up to now goes, the sign-up included.
    pruned = prune_chain(acme.pk, older_than=timezone.now() + timedelta(seconds=1))
    assert pruned.events == 4
    assert pruned.last_pruned_id == old[-1].pk
    assert pruned.checkpoint.metadata["last_pruned_hash"] == old[-1].hash
    assert pruned.checkpoint.metadata["pruned_events"] == 4
    assert pruned.checkpoint.actor_kind == "system"
    assert chain(acme) == [pruned.checkpoint]
    assert pruned.checkpoint.prev_hash == old[-1].hash
    assert verify_chain(acme.pk) is None
    sign_ins(acme, alice, 2)
    assert verify_chain(acme.pk) is None


@pytest.fixture
def old_org(alice):
    """An organization whose first events are 400 days old."""
    from environments.models import create_organization

    with clock(ago(400)):
        organization = create_organization(name="Initech", admin=alice)
        sign_ins(organization, alice, 2)
    with clock(ago(10)):
        sign_ins(organization, alice, 2)
    return organization


def test_it_prunes_past_retention_leaving_a_checkpoint(old_org, capsys):
    before = chain(old_org)
    call_command("prune_audit_events")  # the default retention: 365 days
    after = chain(old_org)
    assert [e.pk for e in after[:-1]] == [e.pk for e in before[3:]]
    checkpoint = after[-1]
    assert checkpoint.metadata["last_pruned_hash"] == before[2].hash
    assert after[0].prev_hash == before[2].hash != GENESIS_HASH
    assert verify_chain(old_org.pk) is None
    call_command("verify_audit_chain", organization="initech")
    out = capsys.readouterr().out
    assert f"pruned 3 events through event {before[2].pk}; checkpoint event {checkpoint.pk}" in out


def test_it_prunes_again_over_an_earlier_checkpoint(old_org, alice):
    call_command("prune_audit_events", organization="initech")
    call_command("prune_audit_events", days=1, organization="initech")
    remaining = chain(old_org)
    assert [e.action for e in remaining] == [Action.AUDIT_PRUNED, Action.AUDIT_PRUNED]
    assert remaining[0].metadata["pruned_events"] == 3
    assert remaining[1].metadata["pruned_events"] == 2
    assert verify_chain(old_org.pk) is None


def test_a_pruned_chain_still_catches_removed_events(old_org):
    call_command("prune_audit_events", organization="initech")
    first = chain(old_org)[0]
    tamper("DELETE FROM audit_auditevent WHERE id = %s", [first.pk])
    assert verify_chain(old_org.pk).startswith(f"event {chain(old_org)[0].pk}: does not follow")


def test_a_removed_checkpoint_is_caught(old_org):
    call_command("prune_audit_events", organization="initech")
    checkpoint = chain(old_org)[-1]
    tamper("DELETE FROM audit_auditevent WHERE id = %s", [checkpoint.pk])
    assert verify_chain(old_org.pk) is not None


def test_an_event_stamped_out_of_order_is_kept(old_org, alice):
    # A clock that jumped back: an "old" event after newer ones is not part of the prefix.
    with clock(ago(500)):
        late = sign_ins(old_org, alice, 1)[0]
    call_command("prune_audit_events", organization="initech")
    assert AuditEvent.objects.filter(pk=late.pk).exists()
    assert verify_chain(old_org.pk) is None


def test_retention_is_a_setting(old_org, settings, capsys):
    settings.AUDIT_RETENTION_DAYS = 5
    call_command("prune_audit_events", organization="initech")
    assert [e.action for e in chain(old_org)] == [Action.AUDIT_PRUNED]
    assert "Pruned 5 events older than 5 days." in capsys.readouterr().out


def test_retention_can_be_off(old_org, settings, capsys):
    settings.AUDIT_RETENTION_DAYS = None
    call_command("prune_audit_events")
    assert len(chain(old_org)) == 5
    assert "Retention is off" in capsys.readouterr().out


def test_a_dry_run_deletes_nothing(old_org, capsys):
    call_command("prune_audit_events", dry_run=True)
    assert len(chain(old_org)) == 5
    assert "would prune 3 events" in capsys.readouterr().out


def test_nothing_old_means_no_checkpoint(acme, alice, capsys):
    sign_ins(acme, alice, 2)
    call_command("prune_audit_events")
    assert not AuditEvent.objects.filter(action=Action.AUDIT_PRUNED).exists()
    assert "nothing older than" in capsys.readouterr().out


def test_days_must_be_positive(acme):
    with pytest.raises(CommandError, match="at least 1"):
        call_command("prune_audit_events", days=-3)


def test_it_prunes_only_the_named_organization(old_org, acme, alice):
    with clock(ago(400)):
        acme_old = sign_ins(acme, alice, 2)
    call_command("prune_audit_events", organization="initech")
    assert AuditEvent.objects.filter(pk__in=[e.pk for e in acme_old]).count() == 2
    with pytest.raises(CommandError, match="No organization"):
        call_command("prune_audit_events", organization="nope")
