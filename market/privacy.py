"""Residents' mobile numbers at rest: sealed with AES-GCM, found by a keyed hash, never stored in clear.

Both keys are derived (HKDF-SHA256) from one secret kept outside the database, `JIEBANG_PHONE_KEY` (in
development a key generated once into var/phone_key): one key encrypts, the other keys the HMAC-SHA256 that the
one-sign-up-per-number rule and the lost-link lookup compare. A sealed value names the key that sealed it
(`v1:<key id>:<base64 of nonce, ciphertext and tag>`), so after a rotation values sealed under a previous key
(`JIEBANG_PHONE_PREVIOUS_KEYS`) still open, and lookups try the hash under every configured key, until the purge
has erased every number sealed under the old one. See docs/privacy.md.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from typing import TYPE_CHECKING

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from market.settings import Settings

FORMAT = "v1"
NONCE_BYTES = 12
# Binds a sealed value to its use: a ciphertext copied into another column or table does not open there.
PURPOSE = b"jiebang/signups.phone"
# Where a database session carries the app's privacy settings (`Session.info`), as the audit key is carried.
INFO = "jiebang_privacy"


class SealedValueError(ValueError):
    """A stored number that no configured key opens (a key missing from the settings, or a tampered value)."""


def _derive(secret: str, purpose: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"jiebang phone " + purpose).derive(
        secret.encode()
    )


@dataclass(frozen=True, slots=True)
class PhoneKey:
    """The keys derived from one secret, and its public id (which reveals nothing of the secret)."""

    id: str
    encryption: bytes
    hashing: bytes

    @classmethod
    def of(cls, secret: str) -> PhoneKey:
        """The keys of one configured secret."""
        if not secret:
            raise ValueError("an empty phone key")
        return cls(_derive(secret, b"key id")[:4].hex(), _derive(secret, b"encryption"), _derive(secret, b"hashing"))

    def digest(self, number: str) -> str:
        """HMAC-SHA256 of a normalised number under this key, hex."""
        return hmac.new(self.hashing, number.encode(), hashlib.sha256).hexdigest()


@dataclass(frozen=True, slots=True)
class PhoneKeys:
    """The current key, which seals and hashes, and previous ones, which still open and find."""

    current: PhoneKey
    previous: tuple[PhoneKey, ...] = ()

    def seal(self, number: str) -> str:
        """The number encrypted under the current key with a fresh random nonce."""
        nonce = os.urandom(NONCE_BYTES)
        sealed = AESGCM(self.current.encryption).encrypt(nonce, number.encode(), PURPOSE)
        return f"{FORMAT}:{self.current.id}:{base64.urlsafe_b64encode(nonce + sealed).decode()}"

    def open(self, sealed: str) -> str:
        """The number a sealed value holds (SealedValueError when no configured key opens it)."""
        try:
            version, key_id, body = sealed.split(":", 2)
            raw = base64.urlsafe_b64decode(body.encode())
        except ValueError as exc:
            raise SealedValueError("not a sealed number") from exc
        key = next((k for k in (self.current, *self.previous) if k.id == key_id), None)
        if version != FORMAT or key is None:
            raise SealedValueError(f"sealed under key {key_id!r}, which is not configured")
        try:
            return AESGCM(key.encryption).decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], PURPOSE).decode()
        except InvalidTag as exc:
            raise SealedValueError(f"a value under key {key_id!r} fails its check") from exc

    def digest(self, number: str) -> str:
        """The hash stored with a number (current key)."""
        return self.current.digest(number)

    def digests(self, number: str) -> list[str]:
        """The number's hash under every configured key: a lookup finds rows not yet re-hashed after a rotation."""
        return [k.digest(number) for k in (self.current, *self.previous)]


@dataclass(frozen=True, slots=True)
class Privacy:
    """What the app does with residents' numbers: the keys, and how long after a class they are kept."""

    keys: PhoneKeys
    retention_days: int

    def erase_after(self, starts_at: datetime) -> datetime:
        """When the numbers of a class starting at `starts_at` are erased."""
        return starts_at + timedelta(days=self.retention_days)


@lru_cache(maxsize=8)
def _keys(current: str, previous: tuple[str, ...]) -> PhoneKeys:
    return PhoneKeys(PhoneKey.of(current), tuple(PhoneKey.of(s) for s in previous))


def of_settings(settings: Settings) -> Privacy:
    """The privacy settings of an app or a command."""
    previous = tuple(s.strip() for s in settings.phone_previous_keys.split(",") if s.strip())
    return Privacy(_keys(settings.effective_phone_key(), previous), settings.phone_retention_days)


def of(db: AsyncSession) -> Privacy:
    """The privacy settings for reads and writes made through this session: the app's, else the process's."""
    found = db.info.get(INFO)
    if isinstance(found, Privacy):
        return found
    from market.settings import get_settings

    return of_settings(get_settings())
