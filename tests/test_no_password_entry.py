"""A user id the password database does not know (a container run with `--user 12345`), with a
HOME but no LOGNAME or USER: `init` makes this machine's identity, named by the user id.
It failed as a bug (KeyError from getpass) before anything was made."""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

from tests.server import ENVKEEP

UNKNOWN_UID = 12345


def _as_unknown_user(home: Path | None, cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    setpriv = shutil.which("setpriv")
    assert setpriv is not None
    return subprocess.run(
        [
            setpriv,
            f"--reuid={UNKNOWN_UID}",
            f"--regid={UNKNOWN_UID}",
            "--clear-groups",
            *ENVKEEP,
            *args,
        ],
        cwd=cwd,
        env={
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            **({"HOME": str(home)} if home else {}),
            "ENVKEEP_KEYRING": "off",
        },
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.mark.skipif(os.geteuid() != 0, reason="running as another user id needs root")
def test_init_as_a_user_id_with_no_password_entry_names_the_identity_by_the_id() -> None:
    with pytest.raises(KeyError):
        pwd.getpwuid(UNKNOWN_UID)
    with tempfile.TemporaryDirectory() as top:  # pytest's tmp_path is root's alone (0700)
        root = Path(top)
        os.chown(root, UNKNOWN_UID, UNKNOWN_UID)
        home, work = root / "home", root / "work"
        for directory in (home, work):
            directory.mkdir()
            os.chown(directory, UNKNOWN_UID, UNKNOWN_UID)
        made, who = _init_and_whoami(home, work)

    assert made.returncode == 0, made.stderr
    assert f"name: uid{UNKNOWN_UID}@local" in who.stdout, who.stderr


def _init_and_whoami(
    home: Path, work: Path
) -> tuple[subprocess.CompletedProcess[str], subprocess.CompletedProcess[str]]:
    made = _as_unknown_user(home, work, "init", "demo")
    return made, _as_unknown_user(home, work, "whoami")


@pytest.mark.skipif(os.geteuid() != 0, reason="running as another user id needs root")
def test_init_with_no_home_and_no_password_entry_says_to_set_home() -> None:
    with tempfile.TemporaryDirectory() as top:
        work = Path(top)
        os.chown(work, UNKNOWN_UID, UNKNOWN_UID)
        made = _as_unknown_user(None, work, "init", "demo")
        left = sorted(p.name for p in work.iterdir())

    assert made.returncode == 2, made.stderr
    assert f"HOME is unset and user id {UNKNOWN_UID} has no entry" in made.stderr
    assert "hint: set HOME or ENVKEEP_HOME" in made.stderr
    assert left == []
