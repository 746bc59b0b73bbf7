"""The manager role (DESIGN.md section 11): what a member may, plus every key of the
organization and granting `manage`; never the members or the audit log."""

from audit.models import Action, AuditEvent
from dashboard.members import change_role
from environments.models import Role
from keys.models import ApiKey, issue_api_key


def test_a_manager_sees_the_all_keys_page_and_its_link(client, mia, alice, development):
    issue_api_key(environment=development, name="alice's", by=alice)
    client.force_login(mia)
    response = client.get("/keys/")
    html = response.content.decode()
    assert response.status_code == 200
    assert "alice&#x27;s" in html or "alice's" in html
    assert 'href="/keys/"' in html
    assert 'href="/members/"' not in html
    assert 'href="/audit/"' not in html


def test_a_manager_revokes_anyones_key(client, mia, alice, development):
    key, _ = issue_api_key(environment=development, name="alice's", by=alice)
    client.force_login(mia)
    client.post("/keys/revoke/", {"keys": [key.public_id], "reason": "leaked"})
    key.refresh_from_db()
    assert key.status == "revoked"
    assert key.revoked_by == mia
    assert AuditEvent.objects.get(action=Action.KEY_REVOKED).actor_name == "mia"


def test_a_manager_grants_manage_on_anyones_key(client, mia, bob, development):
    key, _ = issue_api_key(environment=development, name="bob's", by=bob)
    client.force_login(mia)
    form = {"name": "bob's", "description": "", "expires_at": "", "allowed_ips": ""}
    client.post(f"/keys/{key.public_id}/edit/", {**form, "rate_limit": "", "manage": "on"})
    key.refresh_from_db()
    assert key.can_manage


def test_a_manager_gets_403_on_members_and_audit(client, mia):
    client.force_login(mia)
    assert client.get("/members/").status_code == 403
    assert client.get("/audit/").status_code == 403
    assert client.get("/audit/export.csv").status_code == 403


def test_a_manager_demoted_to_member_loses_manage_on_their_keys(mia, alice, development):
    key, _ = issue_api_key(environment=development, name="mia's", by=mia, manage=True)
    change_role(membership=mia.memberships.get(), role=Role.MEMBER, by=alice)
    assert not ApiKey.objects.get(pk=key.pk).can_manage


def test_a_member_promoted_to_manager_may_change_anyones_key(bob, alice, development):
    key, _ = issue_api_key(environment=development, name="alice's", by=alice)
    membership = change_role(membership=bob.memberships.get(), role=Role.MANAGER, by=alice)
    assert ApiKey.objects.changeable_by(membership).filter(pk=key.pk).exists()


def test_the_members_page_offers_the_manager_role(client, alice, bob):
    client.force_login(alice)
    html = client.get("/members/").content.decode()
    assert '<option value="manager">Manager</option>' in html


def test_another_organizations_manager_gets_404(client, charlie, globex, alice, development):
    from environments.models import Membership
    from tests.conftest import make_user

    outsider = make_user("otto")
    Membership.objects.create(organization=globex, user=outsider, role=Role.MANAGER)
    key, _ = issue_api_key(environment=development, name="alice's", by=alice)
    client.force_login(outsider)
    assert client.get(f"/keys/{key.public_id}/").status_code == 404
    assert client.post(f"/keys/{key.public_id}/edit/", {"name": "x"}).status_code == 404
