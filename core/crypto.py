"""Sensitive numbers: encrypted at rest, found through a keyed hash, shown masked.

Keys come from settings (the environment), never from the database, so a stolen dump of
the database alone reveals no ID or bank-card number.
"""

from __future__ import annotations

import hashlib
import hmac
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings


@lru_cache(maxsize=1)
def _fernet() -> MultiFernet:
    return MultiFernet([Fernet(key.encode()) for key in settings.FIELD_ENCRYPTION_KEYS])


def encrypt(value: str) -> str:
    return _fernet().encrypt(value.encode()).decode()


def decrypt(token: str) -> str:
    try:
        return _fernet().decrypt(token.encode()).decode()
    except InvalidToken as exc:
        raise ValueError("无法解密：加密密钥不匹配") from exc


def encrypt_bytes(data: bytes) -> bytes:
    """Files at rest (imports, exports): Fernet with the field keys; every listed key decrypts."""
    return _fernet().encrypt(data)


def decrypt_bytes(token: bytes) -> bytes:
    return _fernet().decrypt(token)


def normalize_number(value: str) -> str:
    return "".join(value.split()).upper()


def search_hash(value: str) -> str:
    """HMAC-SHA256 of the normalised number: equal numbers give equal hashes."""
    key = settings.SEARCH_HASH_KEY.encode()
    return hmac.new(key, normalize_number(value).encode(), hashlib.sha256).hexdigest()


def mask(value: str, head: int = 6, tail: int = 4) -> str:
    """`141124199001011234` → `141124********1234`; short values keep only the tail."""
    value = normalize_number(value)
    if not value:
        return ""
    if len(value) <= head + tail:
        return "*" * max(len(value) - tail, 0) + value[-tail:]
    return value[:head] + "*" * (len(value) - head - tail) + value[-tail:]


def mask_account(value: str) -> str:
    return mask(value, head=4, tail=4)
