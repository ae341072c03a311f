"""A read of one service (`get`, `explain`, `export`, `run`, `validate --service`) opens the
shared scope, its own and the scopes its references name, not every scope of the environment:
with 60 services of 150 variables, `get --service svc05` decrypted and verified all 9,200
secrets. What it uses is still verified; what it does not use no longer stops it."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from contextlib import closing
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from pathlib import Path

# The CLI in this process, printing (stderr) the scopes of every secret opened.
_COUNTING = (
    "import sys\n"
    "from envkeep.client import vault\n"
    "opened = []\n"
    "real = vault.OpenEnvironment._open_all\n"
    "def counting(self, secrets):\n"
    "    opened.extend(self.scope_name(s.scope) for s in secrets)\n"
    "    return real(self, secrets)\n"
    "vault.OpenEnvironment._open_all = counting\n"
    "from envkeep.cli.entry import main\n"
    "try:\n"
    "    main(sys.argv[1:])\n"
    "finally:\n"
    "    print('opened', sorted(set(opened)), len(opened), file=sys.stderr)\n"
)
DEV = ("--env", "dev")


class Project:
    """An embedded store with services api (referring to web), web (referring to db), db and
    other, each with a few values of its own."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.env = {
            **os.environ,
            "ENVKEEP_HOME": str(root / "home"),
            "ENVKEEP_KEYRING": "off",
            "CI": "1",
        }
        self.ok("init", "demo", "--yes")
        for service in ("api", "web", "db", "other"):
            self.ok("service", "add", service)
        self.ok("set", "REGION=eu", *DEV)
        self.ok("set", "PEER=https://${web.HOST}/", "OWN=a", *DEV, "--service", "api")
        self.ok("set", "HOST=web-${db.ZONE}", "EXTRA=w", *DEV, "--service", "web")
        self.ok("set", "ZONE=${REGION}-1", *DEV, "--service", "db")
        self.ok("set", "SECRET=s", "MORE=m", *DEV, "--service", "other")

    def cli(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-c", _COUNTING, *args],
            cwd=self.root, env=self.env, capture_output=True, text=True, check=False,
        )  # fmt: skip

    def ok(self, *args: str) -> str:
        done = self.cli(*args)
        assert done.returncode == 0, done.stderr
        return done.stdout

    def tamper(self, service: str, name: str) -> None:
        """Flip a byte of the ciphertext of ``name``'s value in ``service``'s scope (its
        signature then fails): one who can write the store's file."""
        name_of = {"HOST": 0, "SECRET": 0}
        assert name in name_of
        with closing(sqlite3.connect(self.root / "home" / "store" / "envkeep.db")) as db, db:
            (service_id,) = db.execute(
                "SELECT id FROM services WHERE name = ?", (service,)
            ).fetchone()
            rows = db.execute(
                "SELECT v.secret_id, v.version, v.value_ct FROM secrets s JOIN secret_versions v"
                " ON v.secret_id = s.id AND v.version = s.current_version WHERE s.scope = ?"
                " ORDER BY s.created_at",
                (f"service:{service_id}",),
            ).fetchall()
            secret_id, version, value = rows[name_of[name]]
            damaged = value[:-1] + bytes([value[-1] ^ 1])
            db.execute(
                "UPDATE secret_versions SET value_ct = ? WHERE secret_id = ? AND version = ?",
                (damaged, secret_id, version),
            )


@pytest.fixture(scope="module")
def shared_project(tmp_path_factory: pytest.TempPathFactory) -> Project:
    return Project(tmp_path_factory.mktemp("reads"))


@pytest.fixture
def project(tmp_path: Path) -> Project:
    """A project of its own, for a test that damages it."""
    return Project(tmp_path)


def _opened(done: subprocess.CompletedProcess[str]) -> str:
    return next(line for line in done.stderr.splitlines() if line.startswith("opened "))


def test_a_service_read_opens_the_scopes_its_references_name_and_no_other(
    shared_project: Project,
) -> None:
    done = shared_project.cli("get", "PEER", *DEV, "--service", "api")

    assert (done.returncode, done.stdout) == (0, "https://web-eu-1/\n"), done.stderr
    assert "'other'" not in _opened(done)
    assert _opened(done).startswith("opened ['api', 'db', 'shared', 'web']")


def test_a_service_without_references_opens_its_scope_and_the_shared_one(
    shared_project: Project,
) -> None:
    done = shared_project.cli("export", *DEV, "--service", "other", "--format", "dotenv")

    assert done.returncode == 0, done.stderr
    assert done.stdout == "MORE=m\nREGION=eu\nSECRET=s\n"
    assert _opened(done) == "opened ['other', 'shared'] 3"


def test_validate_all_still_opens_every_scope(shared_project: Project) -> None:
    done = shared_project.cli("validate", *DEV, "--all")

    assert done.returncode == 0, done.stderr
    assert _opened(done).startswith("opened ['api', 'db', 'other', 'shared', 'web']")


def test_a_damaged_value_in_a_scope_a_read_does_not_use_does_not_stop_it(
    project: Project,
) -> None:
    project.tamper("other", "SECRET")

    got = project.cli("get", "PEER", *DEV, "--service", "api")
    theirs = project.cli("get", "MORE", *DEV, "--service", "other")
    everything = project.cli("validate", *DEV, "--all")

    assert (got.returncode, got.stdout) == (0, "https://web-eu-1/\n"), got.stderr
    assert theirs.returncode != 0
    assert "does not verify" in theirs.stderr or "damaged" in theirs.stderr, theirs.stderr
    assert everything.returncode != 0


def test_a_damaged_value_a_reference_reads_stops_the_read(project: Project) -> None:
    project.tamper("web", "HOST")

    got = project.cli("get", "OWN", *DEV, "--service", "api")
    explained = project.cli("explain", "OWN", *DEV, "--service", "api")

    for done in (got, explained):
        assert done.returncode != 0, done.stdout
        assert "web" in done.stderr, done.stderr
