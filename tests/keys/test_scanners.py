"""The scanner rules in keys/scanners/, run the way their users run them."""

import json
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from keys import tokens
from keys.scanners import detect_secrets_keydesk
from tests.server import ROOT

SCANNERS = ROOT / "keys" / "scanners"


def forge(key):
    """The same key with its last checksum digit changed."""
    return key[:-1] + ("0" if key[-1] != "0" else "1")


@pytest.fixture
def leaky_file(tmp_path):
    """A file of issued keys and lookalikes; returns (path, {line: issued key})."""
    issued = [tokens.generate("live"), tokens.generate("test"), tokens.generate("live")]
    lines = [
        "# settings",
        f'KEYDESK_KEY = "{issued[0]}"',
        f"curl -H 'Authorization: Bearer {forge(issued[1])}' https://api.example.com",
        f"export TOKEN={issued[1]}",
        "placeholder: kd_live_XXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX",
        f"too long: {issued[2]}abc",
        f"    {{'key': '{issued[2]}'}}",
        f"forged: {forge(issued[0])}",
    ]
    path = tmp_path / "leaky.txt"
    path.write_text("\n".join(lines) + "\n")
    return path, {2: issued[0], 4: issued[1], 7: issued[2]}


@pytest.mark.process
def test_the_detect_secrets_plugin_reports_issued_keys_only(leaky_file):
    path, issued = leaky_file
    result = subprocess.run(
        [
            str(Path(sys.executable).with_name("detect-secrets")),
            "scan",
            "--plugin",
            str(SCANNERS / "detect_secrets_keydesk.py"),
            path.name,
        ],
        cwd=path.parent,
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    found = json.loads(result.stdout)["results"].get(path.name, [])
    ours = [f for f in found if f["type"] == "Keydesk API Key"]
    assert sorted(f["line_number"] for f in ours) == sorted(issued)
    plugins = json.loads(result.stdout)["plugins_used"]
    assert {
        "name": "KeydeskKeyDetector",
        "path": f"file://{SCANNERS}/detect_secrets_keydesk.py",
    } in plugins


def test_the_plugin_checks_the_checksum_exactly_as_keydesk_does():
    keys = [tokens.generate(tag) for tag in ("live", "test") for _ in range(100)]
    assert all(detect_secrets_keydesk.checksum_holds(k) for k in keys)
    assert not any(detect_secrets_keydesk.checksum_holds(forge(k)) for k in keys)


def test_the_gitleaks_rule_matches_the_key_shape(leaky_file):
    path, issued = leaky_file
    rule = tomllib.loads((SCANNERS / "gitleaks.toml").read_text())["rules"][0]
    assert rule["id"] == "keydesk-api-key"
    pattern = re.compile(rule["regex"])
    hits = {}
    for number, line in enumerate(path.read_text().splitlines(), 1):
        assert any(word in line for word in rule["keywords"]) or not pattern.search(line)
        for match in pattern.finditer(line):
            hits[number] = match.group(rule["secretGroup"])
    # gitleaks cannot compute a checksum: it finds the forged ones and the placeholder too
    # (find_keys and the detect-secrets plugin drop them), but not a key inside a longer string.
    assert {n: k for n, k in hits.items() if tokens.is_well_formed(k)} == issued
    assert set(hits) == {*issued, 3, 5, 8}
