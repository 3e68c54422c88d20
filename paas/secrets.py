"""Random secrets shown once and stored only as hashes."""

from __future__ import annotations

import hashlib
import hmac
import secrets


def new_secret(nbytes: int = 24) -> str:
    return secrets.token_urlsafe(nbytes)


def digest(value: str) -> str:
    # The values hashed here are long random strings, so a plain SHA-256 is
    # enough; a slow password hash would only slow down every API call.
    return hashlib.sha256(value.encode()).hexdigest()


def matches(value: str, expected_digest: str) -> bool:
    return hmac.compare_digest(digest(value), expected_digest)
