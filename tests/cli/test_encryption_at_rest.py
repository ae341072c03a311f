"""Zero knowledge at rest: the embedded store holds neither variable names nor values."""

from __future__ import annotations

import base64
import sqlite3
from contextlib import closing
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pathlib import Path

    from .conftest import Envkeep

NAME = "ZQX_CANARY_NAME_7731"
SERVICE_NAME = "ZQX_CANARY_SERVICE_NAME_4410"
VALUES = ["canary-VALUE-2b9f-one", "canary-VALUE-2b9f-two", "cänäry-ünïcode-VALUE-✓"]


def forms(text: str) -> list[bytes]:
    """How a string could sit in a file: UTF-8, UTF-16, hex and base64 of its UTF-8 bytes."""
    raw = text.encode("utf-8")
    return [
        raw,
        text.encode("utf-16-le"),
        text.encode("utf-16-be"),
        raw.hex().encode(),
        raw.hex().upper().encode(),
        base64.b64encode(raw).rstrip(b"="),
        base64.urlsafe_b64encode(raw).rstrip(b"="),
    ]


def dump(database: Path) -> bytes:
    with closing(sqlite3.connect(database)) as connection:
        return "\n".join(connection.iterdump()).encode("utf-8")


def test_store_holds_neither_names_nor_values(envkeep: Envkeep, project: Path) -> None:
    envkeep.ok("set", f"{NAME}={VALUES[0]}", "--env", "dev")
    envkeep.ok(
        "set", f"{NAME}={VALUES[1]}", f"{SERVICE_NAME}={VALUES[2]}", "-e", "dev", "-s", "api"
    )
    envkeep.ok("unset", NAME, "--env", "dev")  # a tombstone version too

    database = envkeep.home / "store" / "envkeep.db"
    blobs = {"dump": dump(database)}
    for path in sorted(envkeep.home.rglob("*")):  # the db, any -wal/-shm, identity files
        if path.is_file():
            blobs[str(path.relative_to(envkeep.home))] = path.read_bytes()
    blobs["envkeep.toml"] = (project / "envkeep.toml").read_bytes()

    assert "store/envkeep.db" in blobs
    assert b"secret_versions" in blobs["dump"]  # the dump did dump the data
    for needle in [NAME, SERVICE_NAME, *VALUES]:
        for form in forms(needle):
            leaks = [where for where, blob in blobs.items() if form in blob]
            assert leaks == [], f"{needle!r} found as {form!r} in {leaks}"


def test_the_same_value_twice_is_stored_as_different_ciphertext(
    envkeep: Envkeep, project: Path
) -> None:
    envkeep.ok("set", "A_ONE=same-value", "A_TWO=same-value", "--env", "dev")

    with closing(sqlite3.connect(envkeep.home / "store" / "envkeep.db")) as connection:
        values = [row[0] for row in connection.execute("SELECT value_ct FROM secret_versions")]

    assert len(values) == 2
    assert values[0] != values[1]
