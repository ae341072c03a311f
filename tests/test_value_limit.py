"""The value size limit the server checks on envelopes (``core.limits``) is the one the client
checks on values: a 64 KiB value seals to exactly the largest envelope the server takes."""

from __future__ import annotations

import os

import pytest

from envkeep import crypto
from envkeep.client.envelopes import seal_version
from envkeep.client.write_plans import check_size
from envkeep.core.errors import UsageError
from envkeep.core.limits import (
    ENVELOPE_OVERHEAD,
    MAX_NAME_BYTES,
    MAX_VALUE_BYTES,
    MAX_VALUE_ENVELOPE,
)
from envkeep.crypto.encoding import HEADER_SIZE, NONCE_SIZE, TAG_SIZE


def _envelope(value: str) -> bytes:
    sealed = seal_version(
        dek=os.urandom(32),
        key_version=1,
        env_id="e",
        scope="shared",
        secret_id="s",
        version=1,
        name="BIG",
        value=value,
        author_id="a",
        author=crypto.generate_keys(),
    )
    assert sealed.value_ct is not None
    return sealed.value_ct


def test_the_overhead_is_the_envelopes_header_nonce_and_tag() -> None:
    assert ENVELOPE_OVERHEAD == HEADER_SIZE + NONCE_SIZE + TAG_SIZE


def test_the_largest_value_the_client_lets_through_fits_the_servers_limit_exactly() -> None:
    largest = "é" * (MAX_VALUE_BYTES // 2)  # two bytes a character in UTF-8
    check_size("BIG", largest)
    assert len(_envelope(largest)) == MAX_VALUE_ENVELOPE
    with pytest.raises(UsageError, match="65,537 bytes"):
        check_size("BIG", largest + "x")


def test_a_name_over_1_kib_is_refused_before_anything_is_sealed() -> None:
    check_size("N" * MAX_NAME_BYTES, "v")
    with pytest.raises(UsageError, match="1,025 bytes; a name holds at most 1,024"):
        check_size("N" * (MAX_NAME_BYTES + 1), "v")
