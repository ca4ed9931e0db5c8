"""Files at rest are Fernet tokens built and opened a piece at a time (`core.crypto`
`encrypt_bytes` / `decrypt_bytes`, issue 18 point 4): the same tokens as cryptography's
`MultiFernet`, either way, without its copies of the whole file."""

from __future__ import annotations

import os
import tracemalloc

import pytest
from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.test import override_settings

from core import crypto

SIZES = [0, 1, 15, 16, 17, 47, 48, 1000, crypto._PIECE - 1, crypto._PIECE, 2 * crypto._PIECE + 5]


@pytest.fixture
def fresh_keys():
    crypto._fernet.cache_clear()
    crypto._file_keys.cache_clear()
    yield
    crypto._fernet.cache_clear()
    crypto._file_keys.cache_clear()


@pytest.mark.parametrize("size", SIZES)
def test_tokens_are_fernets_both_ways(size):
    data = os.urandom(size)
    token = crypto.encrypt_bytes(data)
    assert crypto._fernet().decrypt(token) == data
    assert crypto.decrypt_bytes(crypto._fernet().encrypt(data)) == data
    assert crypto.decrypt_bytes(token) == data
    assert len(token) == len(crypto._fernet().encrypt(data))


@pytest.mark.parametrize("size", [0, 100, crypto._PIECE + 7])
def test_a_changed_or_cut_token_is_refused(size):
    token = crypto.encrypt_bytes(os.urandom(size))
    for at in {0, 3, 30, len(token) // 2, len(token) - 6, len(token) - 2}:
        changed = bytearray(token)
        changed[at] = ord("A") if changed[at] != ord("A") else ord("B")
        with pytest.raises(InvalidToken):
            crypto.decrypt_bytes(bytes(changed))
    for bad in (token[:-4], token + b"AAAA", token[:-1], b"", b"not a token!!", b"gAAA"):
        with pytest.raises(InvalidToken):
            crypto.decrypt_bytes(bad)


def test_every_listed_key_opens_the_first_seals(fresh_keys):
    old, new = Fernet.generate_key(), Fernet.generate_key()
    sealed_before = MultiFernet([Fernet(old)]).encrypt(b"an upload")
    with override_settings(FIELD_ENCRYPTION_KEYS=[new.decode(), old.decode()]):
        crypto._file_keys.cache_clear()
        assert crypto.decrypt_bytes(sealed_before) == b"an upload"
        token = crypto.encrypt_bytes(b"a new one")
        assert Fernet(new).decrypt(token) == b"a new one"
        with pytest.raises(InvalidToken):
            Fernet(old).decrypt(token)
    with override_settings(FIELD_ENCRYPTION_KEYS=[Fernet.generate_key().decode()]):
        crypto._file_keys.cache_clear()
        with pytest.raises(InvalidToken):
            crypto.decrypt_bytes(token)


def test_sealing_holds_the_token_twice_not_the_file_six_times():
    data = os.urandom(8 * 1024 * 1024)
    tracemalloc.start()
    try:
        token = crypto.encrypt_bytes(data)
        _current, peak = tracemalloc.get_traced_memory()
        assert peak < 2.2 * len(token)  # Fernet's own encrypt: about 6.7 times the data
        tracemalloc.reset_peak()
        before = tracemalloc.get_traced_memory()[0]
        assert crypto.decrypt_bytes(token) == data
        assert tracemalloc.get_traced_memory()[1] - before < 2.3 * len(data)
    finally:
        tracemalloc.stop()
