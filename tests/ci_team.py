"""A team on a real `envkeep server` as a CI pipeline meets it: an admin who made project shop
and a read token for its staging environment, and a job that has nothing but ENVKEEP_TOKEN and
ENVKEEP_SERVER, run as a real process in a directory without envkeep.toml."""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass
from typing import TYPE_CHECKING

from tests.server import ENVKEEP, TeamServer, join, quick_ok, start_server

if TYPE_CHECKING:
    from collections.abc import Iterator, Sequence
    from pathlib import Path

# setpriv with these capabilities out of its bounding set: root that file permissions bind, as
# they bind a CI job's user (root reads any file, whatever its mode).
_NO_DAC_OVERRIDE = ("--bounding-set=-dac_override,-dac_read_search",)


@dataclass
class CiTeam:
    server: TeamServer
    admin: Path
    work: Path
    token: str

    def admin_ok(self, *args: str) -> str:
        return quick_ok(self.admin, self.work, *args)

    def job(
        self, home: Path, cwd: Path, *args: str, bound_by_modes: bool = False
    ) -> subprocess.CompletedProcess[str]:
        """``envkeep ARGS`` as a CI job: ENVKEEP_TOKEN and ENVKEEP_SERVER, ``home`` as HOME and
        no ENVKEEP_HOME, CI=true, stdin /dev/null, in ``cwd``. ``bound_by_modes``: file modes
        bind the process even when it runs as root."""
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": str(home),
            "CI": "true",
            "ENVKEEP_KEYRING": "off",
            "ENVKEEP_TOKEN": self.token,
            "ENVKEEP_SERVER": self.server.url,
        }
        return subprocess.run(
            [*_bound(bound_by_modes), *ENVKEEP, *args],
            cwd=cwd,
            env=env,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )


def _bound(bound_by_modes: bool) -> Sequence[str]:
    if not bound_by_modes or os.geteuid() != 0:
        return ()
    setpriv = shutil.which("setpriv")
    assert setpriv is not None, "setpriv (util-linux) is needed to test file modes as root"
    return (setpriv, *_NO_DAC_OVERRIDE)


def ci_team(root: Path, values: Sequence[str]) -> Iterator[CiTeam]:
    """Start the server, have its admin make project shop with ``values`` (NAME=VALUE) in
    staging's shared scope and a read token for staging; stop the server afterwards."""
    server = start_server(root)
    try:
        admin, work = root / "admin", root / "work"
        work.mkdir()
        join(server, admin, work, server.invite("admin@ci.io"), "admin@ci.io")
        quick_ok(admin, work, "init", "shop")
        quick_ok(admin, work, "set", *values, "--env", "staging")
        token = quick_ok(
            admin, work, "token", "create", "ci", "--project", "shop", "--env", "staging"
        ).strip()
        yield CiTeam(server, admin, work, token)
    finally:
        server.stop()
