"""The hasher for API client secrets.

Client secrets are 288-bit random strings made by Vectis (never chosen by people), so a slow
password hash adds no protection: guessing one is hopeless at any speed. What a slow hash does
add is a way to burn the server's CPU (PBKDF2 at Django's default cost took ~0.55 s per wrong
secret). Secrets are therefore kept as salted HMAC-SHA256, still never in plaintext.
User passwords keep Django's default hasher.
"""

import hashlib
import hmac
import secrets

from django.contrib.auth.hashers import BasePasswordHasher, mask_hash
from django.utils.crypto import constant_time_compare

# Secrets longer than this are refused without hashing (Vectis issues 48 characters).
MAX_SECRET_LENGTH = 256


class ClientSecretHasher(BasePasswordHasher):
    algorithm = "vectis_hmac_sha256"

    def salt(self) -> str:
        return secrets.token_hex(16)

    def encode(self, password: str, salt: str) -> str:
        self._check_encode_args(password, salt)
        digest = hmac.new(salt.encode(), password.encode(), hashlib.sha256).hexdigest()
        return f"{self.algorithm}${salt}${digest}"

    def decode(self, encoded: str) -> dict:
        algorithm, salt, digest = encoded.split("$", 2)
        if algorithm != self.algorithm:
            raise ValueError("not a client secret hash")
        return {"algorithm": algorithm, "salt": salt, "hash": digest}

    def verify(self, password: str, encoded: str) -> bool:
        if len(password) > MAX_SECRET_LENGTH:
            return False
        decoded = self.decode(encoded)
        return constant_time_compare(self.encode(password, decoded["salt"]), encoded)

    def safe_summary(self, encoded: str) -> dict:
        decoded = self.decode(encoded)
        return {"algorithm": decoded["algorithm"], "salt": mask_hash(decoded["salt"])}

    def must_update(self, encoded: str) -> bool:
        return False

    def harden_runtime(self, password: str, encoded: str) -> None:
        pass


def dummy_verify(password: str) -> None:
    """The work of verifying a secret, for a client id that does not exist (same cost)."""
    hasher = ClientSecretHasher()
    hasher.verify(password[:MAX_SECRET_LENGTH], _DUMMY)


_DUMMY = ClientSecretHasher().encode("dummy", "0" * 32)
