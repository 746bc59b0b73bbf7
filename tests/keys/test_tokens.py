import zlib

import pytest

from audit.masking import mask
from keys import tokens


def test_it_generates_keys_of_the_contract_format():
    key = tokens.generate("live")
    assert key.startswith("kd_live_")
    assert len(key) == len("kd_live_") + 40 + 6
    assert tokens.KEY_RE.fullmatch(key)
    assert tokens.is_well_formed(key)


def test_it_writes_the_checksum_as_six_base62_digits_of_crc32():
    body = "kd_test_" + "a" * 40
    crc = zlib.crc32(body.encode("ascii"))
    digits = ""
    for _ in range(6):
        crc, rest = divmod(crc, 62)
        digits = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"[rest] + digits
    assert tokens.checksum(body) == digits


def test_it_zero_pads_small_checksums():
    assert tokens.base62(0, 6) == "000000"
    assert tokens.base62(61, 6) == "00000z"
    assert tokens.base62(62, 6) == "000010"


def test_it_rejects_a_single_changed_character():
    key = tokens.generate("test")
    position = 20
    changed = key[:position] + ("b" if key[position] == "a" else "a") + key[position + 1 :]
    assert not tokens.is_well_formed(changed)


@pytest.mark.parametrize(
    "bad",
    ["", "kd_live_", "kd_prod_" + "a" * 46, "kd_live_" + "a" * 45, "kd_live_" + "!" * 46, None, 42],
)
def test_it_rejects_malformed_keys(bad):
    assert not tokens.is_well_formed(bad)


def test_it_hints_with_the_first_12_and_last_4_characters():
    key = tokens.generate("live")
    assert tokens.hint(key) == f"{key[:12]}…{key[-4:]}"


def test_it_draws_different_keys_each_time():
    assert len({tokens.generate("test") for _ in range(50)}) == 50


def test_it_digests_with_the_server_secret():
    key = tokens.generate("test")
    assert tokens.digest(key, "one") != tokens.digest(key, "two")
    assert len(tokens.digest(key, "one")) == 64


def test_it_redacts_anything_shaped_like_a_key():
    key = tokens.generate("live")
    assert key not in mask(f"Authorization: Bearer {key}")
    assert "kd_live_" in mask(f"Bearer {key}")
