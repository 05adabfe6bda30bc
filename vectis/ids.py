"""Public ids: a short prefix and 20 random base62 characters (about 119 bits)."""

import secrets
import string

_ALPHABET = string.ascii_letters + string.digits
_LENGTH = 20


def new_public_id(prefix: str) -> str:
    return f"{prefix}_" + "".join(secrets.choice(_ALPHABET) for _ in range(_LENGTH))
