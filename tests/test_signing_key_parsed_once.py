"""Signing a batch of versions parses the identity's Ed25519 key once, not once per
signature (a clone or key rotation of thousands of variables spent as long parsing it as
signing)."""

from __future__ import annotations

from typing import Any

import pytest
from cryptography.hazmat.bindings._rust import openssl

from envkeep import crypto
from envkeep.client.envelopes import seal_version
from envkeep.crypto import _pyca


class _Counting:
    """pyca's ed25519 binding, counting the private keys it parses."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.parsed = 0

    def from_private_bytes(self, raw: bytes) -> Any:
        self.parsed += 1
        return self.inner.from_private_bytes(raw)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


def test_a_batch_of_signed_versions_parses_the_signing_key_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    keys = crypto.generate_keys()  # new: never parsed before
    counting = _Counting(openssl.ed25519)
    monkeypatch.setattr(openssl, "ed25519", counting)  # what _pyca parses keys with
    dek = crypto.new_data_key()
    signatures = {
        seal_version(
            dek=dek,
            key_version=1,
            env_id="env",
            scope="shared",
            secret_id=f"s{i}",
            version=1,
            name=f"NAME_{i}",
            value="v",
            author_id="me",
            author=keys,
        ).signature
        for i in range(50)
    }
    assert len(signatures) == 50
    assert counting.parsed == 1


def test_a_malformed_signing_key_is_refused_every_time() -> None:
    for _ in range(2):
        with pytest.raises(ValueError, match="32 bytes"):
            _pyca.ed25519_private(b"short")
