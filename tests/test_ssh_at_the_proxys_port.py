"""A proxy variable naming an SSH server's port (``HTTPS_PROXY=http://host:22``) says the
proxy is SSH's, and to check that variable: the banner read on the proxy's connection blamed
the server URL ("an SSH server answers at https://server", check the server URL's port),
which was wrong: the server URL was right (`ssh_banner`, `unreachable._not_the_server`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from tests.server import cli
from tests.test_ssh_at_the_port import _ssh

if TYPE_CHECKING:
    from pathlib import Path


@pytest.mark.parametrize("server", ["http://envkeep.invalid:8000", "https://envkeep.invalid"])
def test_an_ssh_server_at_the_proxys_port_names_the_proxy_not_the_server(
    tmp_path: Path, server: str
) -> None:
    with _ssh(speaks_first=True) as proxy:
        done = cli(tmp_path / "home", tmp_path, "login", server, "--email", "a@b.io",
                   ENVKEEP_PASSPHRASE="a passphrase", HTTP_PROXY=proxy, HTTPS_PROXY=proxy,
                   NO_PROXY="")  # fmt: skip

    assert done.returncode == 5, done.stderr
    name = "HTTPS_PROXY" if server.startswith("https") else "HTTP_PROXY"
    assert f"error: an SSH server answers at the proxy {proxy} ({name}), not a proxy" in (
        done.stderr
    )
    assert f"hint: check the port in {name}" in done.stderr
    assert f"answers at {server}" not in done.stderr
