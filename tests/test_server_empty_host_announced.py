"""`envkeep server --host ''` (every address) says the addresses it serves, as `--host 0.0.0.0`
and `--host ::` are said (http://0.0.0.0:8600, http://[::]:8600): it announced
"http://:8600" and logged "address": ":8600", which no client can use."""

from __future__ import annotations

import json
import subprocess
from typing import TYPE_CHECKING

from envkeep.api.serve import migrate
from tests import ports
from tests.server import ENVKEEP, _environ
from tests.test_selfhost_api_port_taken import _as_asyncio_binds

if TYPE_CHECKING:
    from pathlib import Path


def _written(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def test_an_empty_host_is_announced_and_logged_as_the_addresses_it_binds(tmp_path: Path) -> None:
    database = f"sqlite:///{tmp_path / 'server.db'}"
    migrate(database)
    port = ports.free_port()
    server = subprocess.Popen(
        [*ENVKEEP, "server", "--host", "", "--port", str(port), "--db", database],
        env=_environ(tmp_path / "home"),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert server.stderr is not None
    announce, started = "", {}
    try:
        for line in server.stderr:
            if line.startswith("envkeep server on "):
                announce = line
            elif '"server_started"' in line:
                started = json.loads(line)
                break
    finally:
        server.terminate()
        server.communicate(timeout=30)
    bound = {_written(address, port) for _, address, _, _ in _as_asyncio_binds("")}
    assert f"0.0.0.0:{port}" in bound
    urls = announce.removeprefix("envkeep server on ").split(" (")[0]
    assert set(urls.split(" and ")) == {f"http://{each}" for each in bound}, announce
    assert set(str(started.get("address")).split(" and ")) == bound, started
