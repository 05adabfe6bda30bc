"""Public ids: a short prefix and 20 random base62 characters (about 119 bits)."""

import os
import string
import threading

_ALPHABET = string.ascii_letters + string.digits
_LENGTH = 20
# Bytes at or above this would make some characters likelier than others (256 % 62 != 0).
_UNBIASED = 256 - 256 % len(_ALPHABET)
_CHUNK = 4096

# The OS's CSPRNG read 4 KiB at a time: a system call per character (secrets.choice) cost an
# order create about 4 ms of CPU here. A forked child starts with an empty buffer, so no two
# processes ever hand out the same bytes.
_lock = threading.Lock()
_buffer = bytearray()


def _reset_after_fork() -> None:
    global _lock
    _lock = threading.Lock()
    _buffer.clear()


os.register_at_fork(after_in_child=_reset_after_fork)


def _random_bytes(n: int) -> bytes:
    with _lock:
        if len(_buffer) < n:
            _buffer[:] = os.urandom(_CHUNK)
        out = bytes(_buffer[:n])
        del _buffer[:n]
    return out


# Byte → character for the bytes kept; the others are dropped (bytes.translate does both in C).
_TABLE = bytes(ord(_ALPHABET[b % len(_ALPHABET)]) if b < _UNBIASED else 0 for b in range(256))
_DROP = bytes(range(_UNBIASED, 256))


def new_public_id(prefix: str) -> str:
    chars = b""
    while len(chars) < _LENGTH:
        chars += _random_bytes(_LENGTH + 4).translate(_TABLE, _DROP)
    return f"{prefix}_" + chars[:_LENGTH].decode("ascii")
