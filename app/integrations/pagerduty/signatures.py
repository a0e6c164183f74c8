"""Webhooks v3 signatures (API-NOTES §6.4): `X-PagerDuty-Signature: v1=<hex>[,v1=<hex>…]`.

Verify over the raw request bytes (in Flask, `request.get_data()` before any parsing): re-serialised JSON
would not match.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Sequence

_VERSION_PREFIX = "v1="


def sign(raw_body: bytes, secret: str) -> str:
    return _VERSION_PREFIX + _digest(raw_body, secret)


def verify_signature(raw_body: bytes, header_value: str | None, secrets: Sequence[str]) -> bool:
    """True if any v1 signature in the header matches any of the secrets.

    Several signatures (and secrets) coexist during a zero-downtime secret rotation.
    """
    if not header_value:
        return False
    candidates = _v1_signatures(header_value)
    expected = [_digest(raw_body, secret).encode("ascii") for secret in secrets if secret]
    # Compare every pair rather than stopping early, so timing does not reveal which entry matched.
    matches = [hmac.compare_digest(c, e) for c in candidates for e in expected]
    return any(matches)


def _v1_signatures(header_value: str) -> list[bytes]:
    entries = (entry.strip() for entry in header_value.split(","))
    # Bytes, because compare_digest refuses non-ASCII str and a header is attacker-controlled.
    return [
        entry.removeprefix(_VERSION_PREFIX).lower().encode("utf-8")
        for entry in entries
        if entry.startswith(_VERSION_PREFIX)
    ]


def _digest(raw_body: bytes, secret: str) -> str:
    return hmac.new(secret.encode("utf-8"), raw_body, hashlib.sha256).hexdigest()
