"""A demotion holds for the API too: the member's personal keys follow the role down."""

import json

from audit.models import AuditEvent
from dashboard.members import change_role
from environments.models import Role
from keys.models import Kind, issue_api_key


def verify(client, plaintext, permissions="read"):
    return client.get(
        f"/v1/auth/verify?permissions={permissions}", HTTP_AUTHORIZATION=f"Bearer {plaintext}"
    )


def test_an_admin_made_member_loses_manage_on_personal_keys(client, alice, bob, acme, development):
    change_role(membership=bob.memberships.get(), role=Role.ADMIN, by=alice)
    key, plaintext = issue_api_key(
        environment=development, name="bob's", by=bob, write=True, manage=True
    )
    _, service_plaintext = issue_api_key(
        environment=development, name="svc", by=bob, manage=True, kind=Kind.SERVICE
    )
    assert verify(client, plaintext, "manage").status_code == 200

    change_role(membership=bob.memberships.get(), role=Role.MEMBER, by=alice)

    key.refresh_from_db()
    assert key.permissions == ["read", "write"]
    response = verify(client, plaintext, "manage")
    assert response.json()["error"]["code"] == "insufficient_permissions"
    assert verify(client, plaintext, "read,write").status_code == 200
    assert verify(client, service_plaintext, "manage").status_code == 200  # the org's, stays
    event = AuditEvent.objects.filter(action="role_changed").latest("id")
    assert event.metadata["keys_without_manage"] == [key.public_id]
    updated = AuditEvent.objects.get(action="key_updated", target_id=key.public_id)
    assert updated.metadata["before"] == {"can_manage": True}


def test_a_member_made_viewer_loses_their_personal_keys(client, alice, bob, acme, development):
    key, plaintext = issue_api_key(environment=development, name="bob's", by=bob, write=True)
    _, service_plaintext = issue_api_key(
        environment=development, name="svc", by=bob, kind=Kind.SERVICE
    )
    change_role(membership=bob.memberships.get(), role=Role.VIEWER, by=alice)
    assert verify(client, plaintext).json()["error"]["code"] == "revoked_api_key"
    assert verify(client, service_plaintext).status_code == 200
    event = AuditEvent.objects.filter(action="role_changed").latest("id")
    assert event.metadata["revoked_keys"] == [key.public_id]
    assert json.loads(json.dumps(event.metadata))["after"] == "viewer"


def test_a_promotion_touches_no_key(alice, bob, acme, development):
    key, _ = issue_api_key(environment=development, name="bob's", by=bob, write=True)
    change_role(membership=bob.memberships.get(), role=Role.ADMIN, by=alice)
    key.refresh_from_db()
    assert key.status == "active"
    assert key.permissions == ["read", "write"]
