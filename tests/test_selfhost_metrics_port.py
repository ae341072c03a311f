"""`envkeep server --metrics-port`: /metrics served on an address of its own and no longer on
the API's port (a real server process), and the settings that cannot be served refused."""

from __future__ import annotations

from typing import TYPE_CHECKING

import httpx
import pytest

from envkeep.core.errors import UsageError
from envkeep.server_settings import server_settings
from envkeep.settings import load_settings
from tests import ports
from tests.server import start_server

if TYPE_CHECKING:
    from pathlib import Path


def test_metrics_move_to_their_own_port_and_leave_the_api_port(tmp_path: Path) -> None:
    metrics_port = ports.free_port()
    server = start_server(tmp_path, None, "--metrics-port", str(metrics_port))
    try:
        assert httpx.get(f"{server.url}/healthz").status_code == 200
        scraped = httpx.get(f"http://127.0.0.1:{metrics_port}/metrics", timeout=5)
        assert scraped.status_code == 200
        assert 'envkeep_request_seconds_count{method="GET",route="/healthz"}' in scraped.text
        on_api = httpx.get(f"{server.url}/metrics")
        assert on_api.status_code == 404
        assert on_api.headers["content-type"] == "application/problem+json"
        assert "envkeep_" not in on_api.text
        logged = server.log.read_text()
        assert f'"metrics": "127.0.0.1:{metrics_port}"' in logged
        assert f"metrics: http://127.0.0.1:{metrics_port})" in logged
    finally:
        server.stop()


def test_metrics_stay_on_the_api_port_by_default(tmp_path: Path) -> None:
    chosen = server_settings(load_settings({"ENVKEEP_HOME": str(tmp_path)}))
    assert chosen.metrics_port is None


def test_a_metrics_host_without_a_port_is_refused(tmp_path: Path) -> None:
    settings = load_settings({"ENVKEEP_HOME": str(tmp_path)})
    with pytest.raises(UsageError, match="metrics host is given without a metrics port"):
        server_settings(settings, metrics_host="10.0.0.7")
    config = tmp_path / "server.toml"
    config.write_text('metrics_host = "10.0.0.7"\n')
    with pytest.raises(UsageError, match="without a metrics port"):
        server_settings(settings, config=config)


def test_the_metrics_port_must_not_be_the_api_port(tmp_path: Path) -> None:
    environ = {"ENVKEEP_HOME": str(tmp_path), "ENVKEEP_SERVER_METRICS_PORT": "8600"}
    with pytest.raises(UsageError, match=r"must differ from the API's port \(8600\)"):
        server_settings(load_settings(environ))


def test_a_metrics_address_comes_from_the_settings_file(tmp_path: Path) -> None:
    config = tmp_path / "server.toml"
    config.write_text('metrics_port = 9600\nmetrics_host = "::1"\n')
    chosen = server_settings(load_settings({"ENVKEEP_HOME": str(tmp_path)}), config=config)
    assert (chosen.metrics_host, chosen.metrics_port) == ("::1", 9600)
    overridden = server_settings(
        load_settings({"ENVKEEP_HOME": str(tmp_path)}), config=config, metrics_port=9700
    )
    assert overridden.metrics_port == 9700
