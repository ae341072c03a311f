"""`--metrics-port` may be the API's port on another address (`--host 10.0.0.1 --metrics-host
127.0.0.1`): it is refused only where the two can collide, the same address (however written)
or a wildcard on either side; a name may be either address, and is refused too."""

from __future__ import annotations

from typing import TYPE_CHECKING

import httpx
import pytest

from envkeep.api.serve import migrate
from envkeep.core.errors import UsageError
from envkeep.server_settings import server_settings
from envkeep.settings import load_settings
from tests import ports
from tests.server import _environ, _start_on

if TYPE_CHECKING:
    from pathlib import Path


@pytest.mark.parametrize(
    ("host", "metrics_host"),
    [("10.0.0.1", "127.0.0.1"), ("::1", "127.0.0.1"), ("fd00::1", "[fd00::2]")],
)
def test_the_api_port_on_another_address_serves_the_metrics(
    tmp_path: Path, host: str, metrics_host: str
) -> None:
    chosen = server_settings(
        load_settings({"ENVKEEP_HOME": str(tmp_path)}),
        host=host,
        port=8600,
        metrics_host=metrics_host,
        metrics_port=8600,
    )
    assert (chosen.host, chosen.metrics_host, chosen.metrics_port) == (host, metrics_host, 8600)


@pytest.mark.parametrize(
    ("host", "metrics_host"),
    [
        ("127.0.0.1", "127.0.0.1"),
        ("0.0.0.0", "127.0.0.1"),  # noqa: S104 - a wildcard is the point
        ("10.0.0.1", "0.0.0.0"),  # noqa: S104
        ("::", "127.0.0.1"),
        ("10.0.0.1", "::"),
        ("::ffff:127.0.0.1", "127.0.0.1"),
        ("0:0:0:0:0:0:0:1", "::1"),
        ("localhost", "127.0.0.1"),
    ],
)
def test_the_api_port_where_it_can_collide_is_refused(
    tmp_path: Path, host: str, metrics_host: str
) -> None:
    with pytest.raises(UsageError, match=r"must differ from the API's port \(8600\) on the same"):
        server_settings(
            load_settings({"ENVKEEP_HOME": str(tmp_path)}),
            host=host,
            port=8600,
            metrics_host=metrics_host,
            metrics_port=8600,
        )


def test_a_server_serves_metrics_on_its_api_port_of_another_loopback_address(
    tmp_path: Path,
) -> None:
    database = f"sqlite:///{tmp_path / 'server.db'}"
    migrate(database)
    home = tmp_path / "server-home"
    home.mkdir()
    server = None
    for _ in range(ports.STARTS):
        port = ports.free_port()
        args = ("--metrics-host", "127.0.0.2", "--metrics-port", str(port))
        server = _start_on(port, database, _environ(home), tmp_path / "server.log", args)
        if server is not None:
            break
    assert server is not None, (tmp_path / "server.log").read_text()[-2000:]
    try:
        assert httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=5).status_code == 200
        scraped = httpx.get(f"http://127.0.0.2:{port}/metrics", timeout=5)
        assert scraped.status_code == 200
        assert 'envkeep_request_seconds_count{method="GET",route="/healthz"}' in scraped.text
        assert httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=5).status_code == 404
    finally:
        server.stop()
