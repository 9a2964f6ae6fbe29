"""Passwords are hashed with argon2id (only the test suite opts into cheap parameters), and chosen by one rule."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from market.i18n import error_text
from market.kernel.errors import InvalidInput
from market.passwords import MAX_LENGTH, MIN_LENGTH, check_password, common_passwords, password_fault
from market.security import hash_password, verify_password
from tests.factories import PASSWORD


def test_hash_is_argon2id_and_verifies() -> None:
    h = hash_password("correct horse battery")
    assert h.startswith("$argon2id$")
    assert verify_password(h, "correct horse battery")
    assert not verify_password(h, "wrong horse battery")


def test_unknown_user_never_verifies() -> None:
    assert not verify_password(None, "not a real password")


def test_production_uses_library_default_cost() -> None:
    env = {k: v for k, v in os.environ.items() if k != "JIEBANG_PASSWORD_HASHING"}
    out = subprocess.run(
        [sys.executable, "-c", "from market.security import hash_password; print(hash_password('x'))"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    # argon2-cffi's default: 64 MiB, 3 passes, 4 lanes.
    assert "$m=65536,t=3,p=4$" in out


def test_the_shipped_list_holds_the_most_common_passwords_lowercased() -> None:
    common = common_passwords()
    assert len(common) >= 3000
    assert {"123456", "password", "12345678", "qwerty123", "iloveyou", "password1"} <= common
    assert all(word == word.lower() and word.strip() for word in common)
    assert not any(word.startswith("# ") for word in common)  # the header is not a password


@pytest.mark.parametrize(
    ("password", "username", "fault"),
    [
        ("x" * (MIN_LENGTH - 1), "", "password.too_short"),
        ("x" * (MAX_LENGTH + 1), "", "password.too_long"),
        ("Password1", "", "password.too_common"),
        ("  QWERTY123 ", "", "password.too_common"),
        ("Wang.Fang2", "wang.fang2", "password.is_username"),
        ("七个中文字符啊", "", "password.too_short"),  # characters, not bytes
    ],
)
def test_a_password_breaking_the_rule_says_which_part(password: str, username: str, fault: str) -> None:
    assert password_fault(password, username) == fault


@pytest.mark.parametrize(
    "password",
    ["kq9vw3zt"[:MIN_LENGTH], "kq9vw3zt" * (MAX_LENGTH // 8), "八个中文字符够了", PASSWORD, "demo-wang-2026"],
)
def test_long_enough_uncommon_passwords_pass(password: str) -> None:
    assert password_fault(password, "wangfang") is None


def test_a_refusal_is_a_422_naming_its_field_and_reading_in_either_language() -> None:
    with pytest.raises(InvalidInput) as refused:
        check_password("letmein1", "zhou", field="new_password")
    assert refused.value.status_code == 422 and refused.value.field == "new_password"
    zh, en = (
        "这是最常用的密码之一，很容易被猜中，请换一个",
        "This is one of the most common passwords and easily guessed; choose another",
    )
    assert refused.value.key == "password.too_common"
    assert (error_text(refused.value, "zh-CN"), error_text(refused.value, "en")) == (zh, en)


def test_the_demo_password_passes_the_rule() -> None:
    from market.settings import Settings

    assert password_fault(Settings().demo_password, "committee") is None
