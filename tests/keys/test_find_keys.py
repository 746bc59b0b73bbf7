"""`manage.py find_keys PATH... [--revoke --reason TEXT]` (DESIGN.md section 13)."""

import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from audit.models import Action, AuditEvent
from keys import tokens
from keys.models import Status, issue_api_key, revoke_api_key


def find_keys(*args):
    """(exit status, stdout) of the command."""
    out = io.StringIO()
    try:
        call_command("find_keys", *args, stdout=out)
    except SystemExit as exit:
        return exit.code, out.getvalue()
    return 0, out.getvalue()


@pytest.fixture
def tree(tmp_path, development, alice):
    """A checkout with a live key, a revoked one, a stranger's and a forged one in it."""
    live, live_text = issue_api_key(environment=development, name="deploy", by=alice)
    dead, dead_text = issue_api_key(environment=development, name="old", by=alice)
    revoke_api_key(key=dead, by=alice, reason="retired")
    stranger = tokens.generate("live")
    forged = live_text[:-1] + ("0" if live_text[-1] != "0" else "1")
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "settings.py").write_text(f'DEBUG = True\nKEY = "{live_text}"\n')
    (tmp_path / "logs").mkdir()
    (tmp_path / "logs" / "build.log").write_text(
        f"step 1\nAuthorization: Bearer {dead_text}\n{stranger} {forged}\nagain {live_text}\n"
    )
    (tmp_path / "logs" / "blob.bin").write_bytes(b"\x00\xff\xfe" + live_text.encode() + b"\x00")
    return tmp_path, {"live": (live, live_text), "dead": (dead, dead_text), "stranger": stranger}


def test_it_names_each_key_where_it_was_found_and_exits_1_for_a_live_one(tree):
    root, keys = tree
    live, live_text = keys["live"]
    dead, dead_text = keys["dead"]

    status, out = find_keys(str(root))

    assert status == 1
    stranger = tokens.hint(keys["stranger"])
    lines = sorted(out.splitlines())
    assert lines == sorted(
        [
            f"{root}/src/settings.py:2  {live.hint}  {live.public_id}  active",
            f"{root}/logs/build.log:2  {dead.hint}  {dead.public_id}  revoked",
            f"{root}/logs/build.log:3  {stranger}  not a key of this deployment",
            f"{root}/logs/build.log:4  {live.hint}  {live.public_id}  active",
            f"{root}/logs/blob.bin:1  {live.hint}  {live.public_id}  active",
        ]
    )
    for secret in (live_text, dead_text, keys["stranger"]):
        assert secret not in out
    live.refresh_from_db()
    assert live.status == Status.ACTIVE  # only --revoke revokes


def test_it_exits_0_when_no_live_key_is_found(tree):
    root, keys = tree
    dead, dead_text = keys["dead"]
    (root / "old.txt").write_text(f"{dead_text}\nkd_live_short\n")

    assert find_keys(str(root / "old.txt")) == (
        0,
        f"{root}/old.txt:1  {dead.hint}  {dead.public_id}  revoked\n",
    )


def test_revoke_revokes_every_live_key_found_and_records_where(tree):
    root, keys = tree
    live, live_text = keys["live"]

    status, out = find_keys(str(root / "src"), "--revoke", "--reason", "found in the repo")

    assert status == 1
    assert (
        out == f"{root}/src/settings.py:2  {live.hint}  {live.public_id}  revoked (revoked now)\n"
    )
    live.refresh_from_db()
    assert live.status == Status.REVOKED
    assert live.revoked_reason == "found in the repo"
    event = AuditEvent.objects.get(action=Action.KEY_LEAKED)
    assert event.target_id == live.public_id
    assert event.actor_kind == "system"
    assert event.metadata["source"] == "find_keys"
    assert event.metadata["where"] == f"{root}/src/settings.py:2"
    assert live_text not in str(event.as_record())

    # A second scan finds it dead: nothing live, nothing recorded again.
    assert find_keys(str(root / "src"), "--revoke", "--reason", "again")[0] == 0
    assert AuditEvent.objects.filter(action=Action.KEY_LEAKED).count() == 1


def test_revoke_needs_a_reason_and_a_reason_needs_revoke(tree):
    root, keys = tree
    with pytest.raises(CommandError, match="--reason"):
        find_keys(str(root), "--revoke")
    with pytest.raises(CommandError, match="--revoke"):
        find_keys(str(root), "--reason", "why")
    with pytest.raises(CommandError, match="No such file"):
        find_keys(str(root / "nowhere"))
    assert keys["live"][0].status == Status.ACTIVE
