"""A login answer that shares some fields with envkeep's but lacks others (a prelogin with no
`kdf`, a login with no `wrapped_private_keys`) is named as not an envkeep answer, the field
at fault given (exit 5): `login` indexed the raw JSON and died with "unexpected KeyError;
this is a bug in envkeep" (exit 1), which `answers.foreign` leaves to `read_answer` to name."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import pytest

from tests.hostile_server import Handler, reply, serving
from tests.server import cli

if TYPE_CHECKING:
    from pathlib import Path

KDF = {"memory_kib": 65536, "iterations": 3, "lanes": 4}  # the floor: not refused as weak
PRELOGIN = {"kdf_salt": "AAAAAAAAAAAAAAAAAAAAAA==", "kdf": KDF}


def _answering(prelogin: dict[str, Any], login: dict[str, Any]) -> Any:
    def answer(handler: Handler, _body: bytes) -> None:
        body = prelogin if handler.path.endswith("/prelogin") else login
        reply(handler, 200, [("Content-Type", "application/json")], json.dumps(body).encode())

    return answer


@pytest.mark.parametrize(
    ("prelogin", "login", "said"),
    [
        ({"kdf_salt": PRELOGIN["kdf_salt"]}, {}, "not an envkeep Prelogin (kdf: missing)"),
        (
            PRELOGIN,
            {"token": "t", "email": "a@b.io"},
            "not an envkeep Session (principal_id: missing)",
        ),
    ],
)
def test_a_login_answer_lacking_a_field_names_it_not_a_bug(
    tmp_path: Path, prelogin: dict[str, Any], login: dict[str, Any], said: str
) -> None:
    with serving(_answering(prelogin, login)) as (url, _seen):
        done = cli(tmp_path / "home", tmp_path, "login", url, "--email", "a@b.io",
                   ENVKEEP_PASSPHRASE="a passphrase", NO_PROXY="*")  # fmt: skip

    assert done.returncode == 5, done.stderr
    assert said in done.stderr, done.stderr
    assert "bug in envkeep" not in done.stderr
    assert not (tmp_path / "home" / "session.json").exists()
