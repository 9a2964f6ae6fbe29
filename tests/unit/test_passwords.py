"""Passwords are hashed with argon2id; only the test suite opts into cheap parameters."""

from __future__ import annotations

import os
import subprocess
import sys

from market.security import hash_password, verify_password


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
