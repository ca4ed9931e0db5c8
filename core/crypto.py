"""Sensitive numbers: encrypted at rest, found through a keyed hash, shown masked.

Keys come from settings (the environment), never from the database, so a stolen dump of
the database alone reveals no ID or bank-card number.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
import time
from functools import lru_cache

from cryptography.exceptions import InvalidSignature
from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes, padding
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.hmac import HMAC
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


#: Bytes of a file sealed or opened at a time: a multiple of the AES block (16 bytes) and of
#: base64's groups (3 bytes in, 4 out).
_PIECE = 48 * 21_846  # about 1 MB


@lru_cache(maxsize=1)
def _file_keys() -> tuple[tuple[bytes, bytes], ...]:
    """(signing key, encryption key) of each Fernet key, as `Fernet` splits it."""
    keys = []
    for key in settings.FIELD_ENCRYPTION_KEYS:
        Fernet(key.encode())  # refuses a malformed key as MultiFernet does
        raw = base64.urlsafe_b64decode(key.encode())
        keys.append((raw[:16], raw[16:]))
    return tuple(keys)


def encrypt_bytes(data: bytes) -> bytes:
    """Files at rest (imports, exports): Fernet with the field keys; every listed key decrypts.

    The token `MultiFernet.encrypt` makes (the first key's Fernet token: version, time, IV,
    AES-128-CBC, HMAC-SHA256, base64url), built a piece at a time: Fernet's own `encrypt`
    holds its padded copy, the ciphertext, the token's bytes and two base64 copies at once,
    6.7 times the file (67 MB for a 10 MB import, issue 18 point 4); this holds the pieces
    and their join, twice the token."""
    signing, encryption = _file_keys()[0]
    iv = os.urandom(16)
    head = b"\x80" + int(time.time()).to_bytes(8, "big") + iv
    padder = padding.PKCS7(algorithms.AES.block_size).padder()
    encryptor = Cipher(algorithms.AES(encryption), modes.CBC(iv)).encryptor()
    mac = HMAC(signing, hashes.SHA256())
    out: list[bytes] = []
    carry = b""

    def emit(binary: bytes, *, signed: bool = True) -> None:
        nonlocal carry
        if signed:
            mac.update(binary)
        binary = carry + binary
        cut = len(binary) - len(binary) % 3
        out.append(base64.urlsafe_b64encode(binary[:cut]))
        carry = binary[cut:]

    emit(head)
    view = memoryview(data)
    for start in range(0, len(view), _PIECE):
        emit(encryptor.update(padder.update(view[start : start + _PIECE])))
    emit(encryptor.update(padder.finalize()) + encryptor.finalize())
    emit(mac.finalize(), signed=False)
    out.append(base64.urlsafe_b64encode(carry))
    return b"".join(out)


def _pieces(token: bytes):
    """The bytes of a base64url token, decoded a piece at a time (strictly: a Fernet token
    holds nothing but the alphabet and its final padding)."""
    step = _PIECE // 3 * 4
    for start in range(0, len(token), step):
        try:
            yield base64.b64decode(token[start : start + step], altchars=b"-_", validate=True)
        except (binascii.Error, ValueError) as exc:
            raise InvalidToken from exc


def decrypt_bytes(token: bytes) -> bytes:
    """What `encrypt_bytes` (or `MultiFernet.encrypt`) sealed: the signature checked with each
    key in turn over the whole token first, then the data decrypted a piece at a time
    (`InvalidToken` as Fernet raises it); the data once and its pieces, where Fernet's own
    `decrypt` holds three copies at once."""
    token = token.encode() if isinstance(token, str) else bytes(token)
    if not token or len(token) % 4:
        raise InvalidToken
    first = next(_pieces(token[:4]))
    if first[:1] != b"\x80":
        raise InvalidToken
    for signing, encryption in _file_keys():
        if _signed_with(token, signing):
            return _opened(token, encryption)
    raise InvalidToken


def _signed_with(token: bytes, signing: bytes) -> bool:
    mac = HMAC(signing, hashes.SHA256())
    tail = b""  # the last 32 bytes seen: the signature, once all is read
    for piece in _pieces(token):
        piece = tail + piece
        mac.update(piece[:-32])
        tail = piece[-32:]
    if len(tail) < 32:
        return False
    try:
        mac.verify(tail)
    except InvalidSignature:
        return False
    return True


def _opened(token: bytes, encryption: bytes) -> bytes:
    decryptor, unpadder = None, padding.PKCS7(algorithms.AES.block_size).unpadder()
    out: list[bytes] = []
    held = b""  # what is not yet known to be before the signature
    for piece in _pieces(token):
        held += piece
        if decryptor is None:
            if len(held) < 25:
                continue
            decryptor = Cipher(algorithms.AES(encryption), modes.CBC(held[9:25])).decryptor()
            held = held[25:]
        if len(held) > 32:
            out.append(unpadder.update(decryptor.update(held[:-32])))
            held = held[-32:]
    if decryptor is None:
        raise InvalidToken
    try:
        out.append(unpadder.update(decryptor.finalize()))
        out.append(unpadder.finalize())
    except ValueError as exc:
        raise InvalidToken from exc
    return b"".join(out)


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
