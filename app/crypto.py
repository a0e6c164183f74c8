"""Secrets at rest: PagerDuty tokens are stored as Fernet tokens under the keys in ENCRYPTION_KEYS.

The first key encrypts; every key decrypts (MultiFernet), so an operator rotates by putting a new key
first, running `flask pagerduty reencrypt`, and then dropping the old key. Plaintext never appears in an
exception message or a repr: a failure says which key set failed, not what it was decrypting.
"""

from __future__ import annotations

import functools
from collections.abc import Callable

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from flask import current_app


class DecryptionError(Exception):
    """A stored secret cannot be decrypted with any configured key (a key was removed or replaced)."""


@functools.lru_cache(maxsize=8)
def _multi_fernet(keys: tuple[str, ...]) -> MultiFernet:
    if not keys:
        raise ValueError("no encryption keys configured")
    return MultiFernet([Fernet(key) for key in keys])


def _cipher(keys: tuple[str, ...] | None) -> MultiFernet:
    """`keys` defaults to the app's ENCRYPTION_KEYS."""
    return _multi_fernet(keys if keys is not None else tuple(current_app.config["VIGIL"].encryption_keys))


def _open(operation: Callable[[bytes], bytes], ciphertext: str, failure: str) -> str:
    try:
        return operation(ciphertext.encode("ascii")).decode("utf-8")
    except (InvalidToken, UnicodeError) as exc:
        raise DecryptionError(f"a stored secret could not be {failure}") from exc


def encrypt(plaintext: str, keys: tuple[str, ...] | None = None) -> str:
    return _cipher(keys).encrypt(plaintext.encode("utf-8")).decode("ascii")


def decrypt(ciphertext: str, keys: tuple[str, ...] | None = None) -> str:
    return _open(_cipher(keys).decrypt, ciphertext, "decrypted with ENCRYPTION_KEYS (was a key removed?)")


def reencrypt(ciphertext: str, keys: tuple[str, ...] | None = None) -> str:
    """The same secret encrypted under the first key (MultiFernet.rotate), for key rotation."""
    return _open(_cipher(keys).rotate, ciphertext, "re-encrypted: no configured key opens it")
