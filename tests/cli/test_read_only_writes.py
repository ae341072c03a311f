"""A write by a caller who may only read the environment is refused for that first (exit 4,
the role it needs and whom to ask), before any check of what it would write: a schema's or a
reference cycle's refusal, a version or a conflict, would point at a fix (`--no-validate`,
another value) that the server then refuses all the same. The read that every write starts with
says the caller's role there (the snapshot's ``role``); a reader's command then sends the write
with nothing in it, which the server refuses in its own words, and audits (`write_role`).

On the embedded store its owner holds every role, so nothing changes there: the refusals of
what is written are those `test_write_checks` and `test_set_unresolved` check.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import pytest

from envkeep.api.denials import PER_MINUTE

from .config_fixtures import (
    config_template_fixture,  # noqa: F401 - a fixture, requested by name
    config_tree_fixture,  # noqa: F401 - a fixture, requested by name
    set_args,
)
from .conftest import quick_ok, server_only

if TYPE_CHECKING:
    from pathlib import Path

    from .conftest import Envkeep, Homes, Result

DEV_API = ("--env", "dev", "--service", "api")

# Each refused, from a reader, for what it would write before the role was looked at; by the
# environment it writes to.
WRITES: dict[str, tuple[str, tuple[str, ...]]] = {
    # api's schema requires PORT, and nothing else gives it (exit 3)
    "unset required": ("dev", ("unset", "PORT", *DEV_API)),
    "set refused": ("dev", ("set", "PORT=not-a-port-x1", *DEV_API)),  # not a port (exit 3)
    "set itself": ("dev", ("set", "LOOP=${LOOP}", "--env", "dev")),  # refers to itself (3)
    "import refused": ("dev", ("import", "workers.env", *DEV_API)),  # WORKERS=65: over 64 (3)
    "import conflict": ("dev", ("import", "port.env", *DEV_API)),  # PORT set to another (1)
    "rollback version": ("dev", ("rollback", "PORT", "--to", "99", *DEV_API)),  # none such (1)
    # back before anything was set: PORT deleted, which api's schema requires (exit 3)
    "rollback time": ("dev", ("rollback", "--to-time", "2000-01-01T00:00:00Z", "--yes", *DEV_API)),
    # B hides the shared B=${A} in api, which would close A -> B -> A there (exit 3)
    "unset cycle": ("staging", ("unset", "B", "--env", "staging", "--service", "api")),
    "edit protected": ("prod", ("edit", "--env", "prod")),  # protected, no --yes (exit 2)
    "promote": ("dev", ("promote", "--from", "staging", "--to", "dev", "--yes")),  # plan shown
}


def _token(envkeep: Envkeep, homes: Homes, tmp_path: Path, role: str) -> dict[str, str | None]:
    """A token with ``role`` on the whole project, used in the checkout from a home of its
    own (no login there)."""
    assert homes.server is not None
    made = ("token", "create", f"ci-{role}", "--project", "shop", "--role", role)
    return {
        "ENVKEEP_TOKEN": quick_ok(envkeep, *made).stdout.strip(),
        "ENVKEEP_SERVER": homes.server.url,
        "ENVKEEP_HOME": str(tmp_path / f"{role}-home"),
        "EDITOR": "false",  # never opened: refused before
        "VISUAL": None,
    }


def _said(result: Result) -> list[str]:
    """What a command said, less the notes of a token's first read (its signers' keys)."""
    return [line for line in result.err_lines if not line.startswith("note:")]


def _refusal(env: str) -> list[str]:
    where = f"environment shop/{env}"
    return [
        f"error: you need the write role on {where} (you have: read there)",
        f"hint: ask an admin of {where} to grant it",  # and the admins' names, as the server's
    ]


@pytest.fixture
def prepared(envkeep: Envkeep, config_tree: Path) -> Path:
    """The configuration project with what the refused writes need: the files they import,
    a cycle that api's own B ends in staging, and prod protected."""
    (config_tree / "workers.env").write_text("WORKERS=65\n", encoding="utf-8")
    (config_tree / "port.env").write_text("PORT=9999\n", encoding="utf-8")
    for service in ("api", "web", "worker"):  # each service's own B ends the shared cycle
        quick_ok(envkeep, *set_args("staging", service, {"B": "1"}))
    quick_ok(envkeep, *set_args("staging", "shared", {"A": "${B}", "B": "${A}"}))
    quick_ok(envkeep, "env", "edit", "prod", "--protect")
    return config_tree


def test_a_reader_is_refused_for_its_role_before_what_it_writes_is_checked(
    envkeep: Envkeep, prepared: Path, homes: Homes, tmp_path: Path
) -> None:
    server_only(homes, "roles below admin exist on a team server only")
    reader = _token(envkeep, homes, tmp_path, "read")
    # The server's own refusal of a write the client finds nothing wrong with: the words the
    # earlier refusal has too, admins named.
    plain = envkeep("set", "FRESH_NAME=1", "--env", "dev", env=reader)

    results = {name: envkeep(*args, env=reader) for name, (_, args) in WRITES.items()}

    assert plain.code == 4, plain.describe()
    said = _said(plain)
    assert len(said) == 2, plain.describe()
    assert all(map(str.startswith, said, _refusal("dev"))), plain.describe()
    for name, result in results.items():
        expected = [line.replace("shop/dev", f"shop/{WRITES[name][0]}") for line in _said(plain)]
        if name == "edit protected":
            expected[0] += "; the editor was not opened"
        assert (result.code, _said(result)) == (4, expected), (name, result.describe())
        assert result.stdout == "", (name, result.describe())  # no plan shown to a reader
    assert not (tmp_path / "read-home" / "recovered").exists()  # no edit text kept
    # Refused by the server, each in the audit trail as the plain write's refusal is, up to
    # the server's limit of such events a minute for one principal (a minute of the clock: the
    # commands may span two, and then more are recorded).
    events = json.loads(quick_ok(envkeep, "audit", "--action", "request", "--json").stdout)
    denied = [json.loads(e["details"])["method"] for e in events if e["outcome"] == "denied"]
    assert set(denied) == {"POST"}, events
    assert min(1 + len(WRITES), PER_MINUTE) <= len(denied) <= 1 + len(WRITES), events


def test_a_writer_is_still_told_what_is_wrong_with_what_it_writes(
    envkeep: Envkeep, prepared: Path, homes: Homes, tmp_path: Path
) -> None:
    server_only(homes, "roles below admin exist on a team server only")
    writer = _token(envkeep, homes, tmp_path, "write")

    unset = envkeep(*WRITES["unset required"][1], env=writer)
    cycle = envkeep(*WRITES["unset cycle"][1], env=writer)
    itself = envkeep(*WRITES["set itself"][1], env=writer)

    assert unset.code == 3, unset.describe()
    assert "api.PORT (missing: required" in _said(unset)[0], unset.describe()
    assert cycle.code == 3, cycle.describe()
    assert "would uncover a reference cycle" in _said(cycle)[0], cycle.describe()
    assert itself.code == 3, itself.describe()
    assert "refers to itself" in _said(itself)[0], itself.describe()
