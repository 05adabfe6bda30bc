"""Secrets Vectis must read back (webhook signing secrets) are kept encrypted at rest.

Fernet (AES-128-CBC with HMAC-SHA256, from the `cryptography` package) with keys from
`VECTIS_ENCRYPTION_KEYS`: a comma-separated list of Fernet keys, the first encrypts, every one
decrypts. Rotation: put a new key first, run `manage.py rotate_encryption_key` (re-encrypts
every stored value with it), then drop the old key. Without the variable (development only)
the key is derived from SECRET_KEY; `check --deploy` warns about that.

Stored values look like `fernet:<token>`, so a value written before encryption existed is
recognised (and encrypted by the migration that introduced it).
"""

import base64
import hashlib
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

PREFIX = "fernet:"


class DecryptionFailed(Exception):
    """A stored value no configured key can decrypt (a key was removed too early)."""


_UNREADABLE = (
    "A stored secret cannot be decrypted with VECTIS_ENCRYPTION_KEYS; was a key removed "
    "before `rotate_encryption_key` ran?"
)


def generate_key() -> str:
    return Fernet.generate_key().decode()


@lru_cache(maxsize=4)
def _fernet(keys: tuple[str, ...], secret_key: str) -> MultiFernet:
    if not keys:
        derived = hashlib.sha256(b"vectis-encryption-key:" + secret_key.encode()).digest()
        keys = (base64.urlsafe_b64encode(derived).decode(),)
    try:
        return MultiFernet([Fernet(key.encode()) for key in keys])
    except (ValueError, TypeError) as exc:
        raise ImproperlyConfigured(
            "VECTIS_ENCRYPTION_KEYS must be Fernet keys (manage.py generate_encryption_key)."
        ) from exc


def fernet() -> MultiFernet:
    return _fernet(tuple(settings.VECTIS_ENCRYPTION_KEYS), settings.SECRET_KEY)


def is_encrypted(value: str) -> bool:
    return value.startswith(PREFIX)


def encrypt(plaintext: str) -> str:
    return PREFIX + fernet().encrypt(plaintext.encode()).decode()


def decrypt(stored: str) -> str:
    if not is_encrypted(stored):
        return stored  # written before encryption (the migration encrypts these)
    try:
        return fernet().decrypt(stored.removeprefix(PREFIX).encode()).decode()
    except InvalidToken as exc:
        raise DecryptionFailed(_UNREADABLE) from exc


def rotate(stored: str) -> str:
    """The value encrypted with the first key (plaintext values get encrypted)."""
    if not is_encrypted(stored):
        return encrypt(stored)
    try:
        return PREFIX + fernet().rotate(stored.removeprefix(PREFIX).encode()).decode()
    except InvalidToken as exc:
        raise DecryptionFailed(_UNREADABLE) from exc
