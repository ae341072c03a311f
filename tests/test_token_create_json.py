"""`token create --json` gives a script both values to store, in one document on stdout: the
token (ENVKEEP_TOKEN) and the ENVKEEP_SIGNERS its reads should trust; set so, a CI job
reads."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from tests.server import TeamServer, join, start_server
from tests.server import cli as _cli
from tests.server import quick_ok as _ok

if TYPE_CHECKING:
    from pathlib import Path


def test_the_token_and_its_signers_in_one_document_work_as_a_ci_jobs_settings(
    tmp_path: Path,
) -> None:
    server: TeamServer = start_server(tmp_path / "server")
    try:
        alice, work, ci = tmp_path / "alice", tmp_path / "work", tmp_path / "ci"
        work.mkdir()
        join(server, alice, work, server.invite("alice@json.io"), "alice@json.io")
        _ok(alice, work, "init", "shop")
        _ok(alice, work, "set", "DB=dev-db", "--env", "dev")

        made = _cli(
            alice, work, "token", "create", "ci", "--env", "dev", "--expires", "1d", "--json"
        )
        assert made.returncode == 0, made.stderr
        document = json.loads(made.stdout)
        assert set(document) == {
            "name", "token", "role", "project", "environment", "expires_at", "signers",
            "signers_left_out",
        }  # fmt: skip
        assert (document["name"], document["role"], document["environment"]) == (
            "ci",
            "read",
            "dev",
        )
        assert document["expires_at"].endswith("Z")
        assert document["signers"]
        read = _cli(
            ci,
            work,
            "get",
            "DB",
            "--env",
            "dev",
            ENVKEEP_TOKEN=document["token"],
            ENVKEEP_SIGNERS=document["signers"],
            ENVKEEP_SERVER=server.url,
        )
    finally:
        server.stop()

    assert (read.returncode, read.stdout) == (0, "dev-db\n"), read.stderr
