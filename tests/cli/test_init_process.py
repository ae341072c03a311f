"""`envkeep run` as a container's entrypoint, PID 1 of its PID namespace: SIGTERM ends it
while it still waits for the server, as it ends any other process (the kernel gives PID 1
no default action). Needs ``unshare --pid`` (root, or user namespaces): skipped without."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from .conftest import ENVKEEP

if TYPE_CHECKING:
    from collections.abc import Iterator

# Well formed, never issued: the server that gets it never answers anyway.
TOKEN = "ek_sa_v2_" + "0" * 8 + "-0000-4000-8000-" + "0" * 12 + "_" + "A" * 43


def _can_unshare() -> bool:
    if shutil.which("unshare") is None:
        return False
    tried = subprocess.run(
        ["unshare", "--pid", "--fork", "true"], capture_output=True, check=False, timeout=10
    )
    return tried.returncode == 0


pytestmark = pytest.mark.skipif(not _can_unshare(), reason="unshare --pid is not permitted here")


@pytest.fixture
def silent_server() -> Iterator[str]:
    """A URL whose server takes connections and never answers."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)
        yield f"http://127.0.0.1:{listener.getsockname()[1]}"


def _pid_one_of(unshare: subprocess.Popen[bytes]) -> int:
    """The pid (in this namespace) of the process unshare forked: PID 1 in its own."""
    children = Path(f"/proc/{unshare.pid}/task/{unshare.pid}/children")
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        found = children.read_text(encoding="ascii").split()
        if found:
            return int(found[0])
        time.sleep(0.01)
    pytest.fail("unshare started nothing")


def test_sigterm_ends_run_as_pid_1_while_it_waits_for_the_server(
    silent_server: str, tmp_path: Path
) -> None:
    environ = {k: v for k, v in os.environ.items() if not k.startswith("ENVKEEP_")}
    environ |= {"ENVKEEP_HOME": str(tmp_path), "ENVKEEP_SERVER": silent_server}
    environ |= {"ENVKEEP_TOKEN": TOKEN, "ENVKEEP_PROJECT": "shop", "ENVKEEP_KEYRING": "off"}
    unshare = subprocess.Popen(
        ["unshare", "--pid", "--fork", *ENVKEEP, "run", "--env", "dev", "--", "true"],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd=tmp_path,
        env=environ,
    )
    try:
        envkeep = _pid_one_of(unshare)
        time.sleep(1.5)  # past its start, waiting for the server's answer
        os.kill(envkeep, 15)
        _out, err = unshare.communicate(timeout=10)  # not the 30 s of the read timeout
    finally:
        unshare.kill()
        unshare.communicate()

    assert unshare.returncode == 143, err
