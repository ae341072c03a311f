"""A damaged identity.json says what is wrong with it in words ("its 'signing_public' field is
missing", "not JSON at line 1"), not the parser's class name ("(KeyError)", binascii's
"(Error)"); a key of the wrong length is said as identity.json's damage too, with its hint,
where it was a bare "an Ed25519 public key must be 32 bytes". On a server's account too (its
identity.json under ENVKEEP_HOME/servers/<host>/)."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import pytest

from .accounts import identity_home

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

    from .conftest import Envkeep


def _without_signing_key(record: dict[str, Any]) -> Any:
    del record["signing_public"]
    return record


DAMAGE: dict[str, tuple[Callable[[dict[str, Any]], Any] | str, str]] = {
    "not-json": ("{not json", "not JSON at line 1"),
    "field-missing": (_without_signing_key, "its 'signing_public' field is missing"),
    "not-base64": (lambda r: {**r, "signing_public": "%%%"}, "a key or salt is not base64"),
    "key-short": (
        lambda r: {**r, "signing_public": "AAAA"},
        "an Ed25519 public key must be 32 bytes",
    ),
    "not-an-object": (lambda _r: [1], "a field holds the wrong kind of value"),
}


@pytest.mark.parametrize(("damage", "words"), DAMAGE.values(), ids=DAMAGE.keys())
def test_a_damaged_identity_file_says_what_is_wrong_in_words(
    envkeep: Envkeep,
    project: Path,
    damage: Callable[[dict[str, Any]], Any] | str,
    words: str,
) -> None:
    record = identity_home(envkeep.home) / "identity.json"
    text = damage if isinstance(damage, str) else json.dumps(damage(json.loads(record.read_text())))
    record.write_text(text)

    shown = envkeep("identity", "show")

    assert shown.code == 1
    assert f"error: identity.json is damaged ({words})" in shown.stderr
    assert "hint: restore it from a backup" in shown.stderr
