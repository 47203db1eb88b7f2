"""Salted scrypt password hashes, stored as "scrypt$n$r$p$salt$hash" (base64 parts) and
compared in constant time. A password itself is never stored, logged or put in an error."""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
from functools import cache

from assistant.core.errors import ConfigError

SCHEME = "scrypt"
N, R, P = 2**14, 8, 1  # 16 MB and ~50 ms per check on one core: slow for a guesser, not a user
SALT_BYTES = 16
MIN_LENGTH = 8


def hash_password(password: str, n: int = N, r: int = R, p: int = P) -> str:
    salt = os.urandom(SALT_BYTES)
    digest = _scrypt(password, salt, n, r, p)
    return "$".join([SCHEME, str(n), str(r), str(p), _b64(salt), _b64(digest)])


def verify_password(password: str, stored: str) -> bool:
    """True when `password` matches the stored hash; False for a malformed hash too."""
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
        if scheme != SCHEME:
            return False
        expected = base64.b64decode(digest)
        got = _scrypt(password, base64.b64decode(salt), int(n), int(r), int(p))
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(got, expected)


def waste_time(password: str) -> None:
    """Spend what a check costs, for an unknown user name (no timing tells names apart)."""
    verify_password(password, _dummy())


@cache
def _dummy() -> str:
    return hash_password(os.urandom(12).hex())


def check_new_password(password: str) -> None:
    """Refuse a password that is too short or spans lines (message without the password)."""
    if len(password) < MIN_LENGTH:
        raise ConfigError(f"password too short: use at least {MIN_LENGTH} characters")
    if any(c in password for c in "\r\n\x00"):
        raise ConfigError("password must be one line without control characters")


def _scrypt(password: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    return hashlib.scrypt(password.encode("utf-8"), salt=salt, n=n, r=r, p=p,
                          maxmem=128 * r * (n + p + 2), dklen=32)


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")
