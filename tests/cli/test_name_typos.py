"""`set` of a new name that no schema seeing it declares, very like one that a schema does
(`port` beside `PORT`): written, with a warning naming the declared one."""

from __future__ import annotations

from typing import TYPE_CHECKING

from envkeep.client.name_typos import near_misses
from envkeep.core.fieldspec import FieldSpec, Schema

if TYPE_CHECKING:
    from pathlib import Path

    from .conftest import Envkeep

SCHEMA = "# @type=port\nPORT=8080\n# @type=url\nDATABASE_URL=postgres://db/shop\n"


def _with_schema(envkeep: Envkeep, project: Path) -> None:
    (project / "services" / "api" / ".env.example").write_text(SCHEMA, encoding="utf-8")
    envkeep.ok("service", "set", "api", "--schema", "services/api/.env.example")


def test_a_new_name_like_a_declared_one_is_written_with_a_warning(
    envkeep: Envkeep, project: Path
) -> None:
    _with_schema(envkeep, project)

    written = envkeep.ok("set", "port=9090", "DATABSE_URL=postgres://db/x", "--service", "api")

    assert "set 2 variables" in written.stderr
    assert (
        "warning: the schema of api declares PORT, not port: if port was a typo, set PORT and"
        " unset port"
    ) in written.stderr
    assert "declares DATABASE_URL, not DATABSE_URL" in written.stderr
    assert envkeep.ok("get", "port", "--service", "api").stdout == "9090\n"


def test_declared_names_unrelated_names_and_names_already_set_warn_of_nothing(
    envkeep: Envkeep, project: Path
) -> None:
    _with_schema(envkeep, project)
    envkeep.ok("set", "port=1", "--service", "api")

    again = envkeep.ok("set", "port=2", "PORT=8081", "WORKERS=4", "--service", "api")

    assert "warning" not in again.stderr


def _schema(*names: str) -> Schema:
    return Schema(tuple(FieldSpec(name) for name in names))


def test_a_shared_name_is_compared_with_every_schema_and_names_whose() -> None:
    schemas = {"api": _schema("PORT"), "worker": _schema("QUEUE_URL", "PORT")}

    assert near_misses(schemas, None, ["queue_url", "port", "LOG_LEVEL"]) == [
        (
            "warning: the schema of worker declares QUEUE_URL, not queue_url: if queue_url was a"
            " typo, set QUEUE_URL and unset queue_url"
        ),
        (
            "warning: the schemas of api, worker declare PORT, not port: if port was a typo, set"
            " PORT and unset port"
        ),
    ]
    assert near_misses(schemas, "api", ["queue_url"]) == []  # api does not see worker's
