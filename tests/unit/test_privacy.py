"""Residents' numbers at rest: sealed so that only the configured keys open them, hashed so that they can be found."""

from __future__ import annotations

from pathlib import Path

import pytest

from market import privacy
from market.privacy import PhoneKey, PhoneKeys, SealedValueError
from market.settings import Settings

NUMBER = "13800138000"


def test_a_sealed_number_holds_no_clear_digits_differs_each_time_and_opens_again() -> None:
    keys = PhoneKeys(PhoneKey.of("one"))
    first, second = keys.seal(NUMBER), keys.seal(NUMBER)
    assert first != second  # a fresh nonce per value: equal numbers do not look equal at rest
    assert NUMBER not in first and "0013800" not in first
    assert first.startswith(f"v1:{keys.current.id}:")
    assert keys.open(first) == keys.open(second) == NUMBER


def test_a_value_opens_only_under_a_configured_key_and_not_once_altered() -> None:
    old = PhoneKeys(PhoneKey.of("old"))
    sealed = old.seal(NUMBER)
    with pytest.raises(SealedValueError):
        PhoneKeys(PhoneKey.of("new")).open(sealed)
    rotated = PhoneKeys(PhoneKey.of("new"), (PhoneKey.of("old"),))
    assert rotated.open(sealed) == NUMBER
    # A value names the key that sealed it; new values are sealed under the current key.
    assert sealed.split(":")[1] == PhoneKey.of("old").id
    assert rotated.seal(NUMBER).split(":")[1] == PhoneKey.of("new").id
    body = sealed[-10:]
    tampered = sealed[:-10] + ("A" if body[0] != "A" else "B") + body[1:]
    with pytest.raises(SealedValueError):
        rotated.open(tampered)
    with pytest.raises(SealedValueError):
        rotated.open("13800138000")


def test_the_hash_is_keyed_stable_and_found_under_previous_keys_after_a_rotation() -> None:
    old, new = PhoneKey.of("old"), PhoneKey.of("new")
    assert old.digest(NUMBER) == PhoneKey.of("old").digest(NUMBER)
    assert old.digest(NUMBER) != new.digest(NUMBER) != new.digest("13800138001")
    assert PhoneKeys(new, (old,)).digests(NUMBER) == [new.digest(NUMBER), old.digest(NUMBER)]
    # Encryption and hashing keys are distinct derivations of the one secret.
    assert new.encryption != new.hashing


def test_the_phone_key_is_the_setting_else_a_file_generated_once(tmp_path: Path) -> None:
    generated = Settings(phone_key="", var_dir=tmp_path).effective_phone_key()
    assert generated and (tmp_path / "phone_key").read_text() == generated
    assert Settings(phone_key="", var_dir=tmp_path).effective_phone_key() == generated
    configured = privacy.of_settings(Settings(phone_key="a", phone_previous_keys=" b, ,c", var_dir=tmp_path))
    assert configured.keys.current == PhoneKey.of("a")
    assert configured.keys.previous == (PhoneKey.of("b"), PhoneKey.of("c"))
    assert configured.retention_days == 90
