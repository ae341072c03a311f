"""Zero knowledge at rest: the store holds neither variable names nor values — the embedded
store in ENVKEEP_HOME, or the team server's database (and its log)."""

from __future__ import annotations

import base64
import sqlite3
from contextlib import closing
from pathlib import Path
from typing import TYPE_CHECKING

from .accounts import workspace_of

if TYPE_CHECKING:
    from .conftest import Envkeep, Homes

NAME = "ZQX_CANARY_NAME_7731"
SERVICE_NAME = "ZQX_CANARY_SERVICE_NAME_4410"
VALUES = ["canary-VALUE-2b9f-one", "canary-VALUE-2b9f-two", "cänäry-ünïcode-VALUE-✓"]

# The value ciphertexts of one workspace (on the embedded store there is only one).
CIPHERTEXTS = """
SELECT v.value_ct FROM secret_versions v
JOIN secrets s ON s.id = v.secret_id
JOIN environments e ON e.id = s.environment_id
JOIN projects p ON p.id = e.project_id
WHERE ? IS NULL OR p.workspace_id = ?
"""


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


def database_of(envkeep: Envkeep, homes: Homes) -> Path:
    """The SQLite file the project's secrets are stored in."""
    if homes.server is None:
        return envkeep.settings().database_path
    return Path(homes.server.database.removeprefix("sqlite:///"))


def files_under(root: Path) -> dict[str, bytes]:
    """Every file under ``root`` (a database, any -wal/-shm, logs, identity files)."""
    return {str(p): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def stored_ciphertexts(database: Path, workspace: str | None) -> list[bytes]:
    with closing(sqlite3.connect(database)) as connection:
        return [row[0] for row in connection.execute(CIPHERTEXTS, (workspace, workspace))]


def test_store_holds_neither_names_nor_values(
    envkeep: Envkeep, project: Path, homes: Homes
) -> None:
    envkeep.ok("set", f"{NAME}={VALUES[0]}", "--env", "dev")
    envkeep.ok(
        "set", f"{NAME}={VALUES[1]}", f"{SERVICE_NAME}={VALUES[2]}", "-e", "dev", "-s", "api"
    )
    envkeep.ok("unset", NAME, "--env", "dev")  # a tombstone version too

    database = database_of(envkeep, homes)
    blobs = {"dump": dump(database)}
    blobs |= files_under(envkeep.home)  # the identity and session files; the embedded store
    blobs |= files_under(database.parent)  # the server's database and its log (on http)
    blobs["envkeep.toml"] = (project / "envkeep.toml").read_bytes()

    assert str(database) in blobs
    assert homes.server is None or str(homes.server.log) in blobs
    assert b"secret_versions" in blobs["dump"]  # the dump did dump the data
    assert len(stored_ciphertexts(database, workspace_of(envkeep.home))) == 4
    for needle in [NAME, SERVICE_NAME, *VALUES]:
        for form in forms(needle):
            leaks = [where for where, blob in blobs.items() if form in blob]
            assert leaks == [], f"{needle!r} found as {form!r} in {leaks}"


def test_the_same_value_twice_is_stored_as_different_ciphertext(
    envkeep: Envkeep, project: Path, homes: Homes
) -> None:
    envkeep.ok("set", "A_ONE=same-value", "A_TWO=same-value", "--env", "dev")

    values = stored_ciphertexts(database_of(envkeep, homes), workspace_of(envkeep.home))

    assert len(values) == 2
    assert values[0] != values[1]
