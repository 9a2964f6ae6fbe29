"""What a password must be (OWASP ASVS 5.0, V6): long enough, not absurdly long, not common, not the username.

A pure rule, used wherever a password is chosen: an account made by the committee, a password changed by its
owner, a committee reset. Signing in applies none of it, so an account with an older, weaker password can still
sign in and change it.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Final

from market.kernel.errors import InvalidInput

MIN_LENGTH: Final = 8
# ASVS asks that at least 64 characters be allowed; argon2 hashes any length, the cap only bounds the work.
MAX_LENGTH: Final = 128
# The longest password an account can hold (older rules allowed up to 200 characters), so the longest one signing in
# or proving the current password takes: longer input is refused, never cut to this length and then compared.
LONGEST_HELD: Final = 200
COMMON_PASSWORDS: Final = Path(__file__).resolve().parent / "data" / "common_passwords.txt"


@cache
def common_passwords() -> frozenset[str]:
    """The shipped list of the most common passwords, lowercased (the file's header ends at its first blank line)."""
    text = COMMON_PASSWORDS.read_text(encoding="utf-8")
    _, _, body = text.partition("\n\n")
    return frozenset(line for line in body.splitlines() if line)


def _folded(text: str) -> str:
    return text.strip().lower()


def password_fault(password: str, username: str = "") -> str | None:
    """The catalog key saying what is wrong with `password` for the account `username`, or None if it will do.

    Length counts characters, not bytes; the common list and the username are compared case-insensitively and
    without surrounding spaces, so `Password ` is as common as `password`.
    """
    if len(password) < MIN_LENGTH:
        return "password.too_short"
    if len(password) > MAX_LENGTH:
        return "password.too_long"
    folded = _folded(password)
    if username and folded == _folded(username):
        return "password.is_username"
    if folded in common_passwords():
        return "password.too_common"
    return None


def check_password(password: str, username: str = "", *, field: str = "password") -> None:
    """Refuse a password that breaks the rules: a 422 naming `field`, with the rule's message key."""
    fault = password_fault(password, username)
    if fault is not None:
        raise InvalidInput(fault, field=field, n=MIN_LENGTH, max=MAX_LENGTH)
