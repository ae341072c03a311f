"""Who the audit trail and the per-IP limits see: the peer's address, and X-Forwarded-For only
from a proxy the server is told to trust (uvicorn alone would believe loopback's)."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import httpx
import pytest

from tests.server import cli_ok, start_server

if TYPE_CHECKING:
    from pathlib import Path

FORWARDED = {"X-Forwarded-For": "203.0.113.9"}


def _recorded_ip(tmp_path: Path, *server_args: str) -> str:
    """The IP the audit trail records for a request that says it was forwarded for another."""
    server = start_server(tmp_path / "server", None, *server_args)
    try:
        home = tmp_path / "home"
        code = server.invite("proxy@x.io")
        cli_ok(home, tmp_path, "join", server.url, code, "--email", "proxy@x.io",
               ENVKEEP_PASSPHRASE="proxy passphrase")  # fmt: skip
        session = json.loads((home / "session.json").read_text(encoding="utf-8"))
        workspace = f"{server.url}/v1/workspaces/{session['workspace_id']}"
        headers = {"Authorization": f"Bearer {session['token']}", **FORWARDED}
        made = httpx.post(
            f"{workspace}/invites", json={"email": "new@x.io", "role": "read"}, headers=headers
        )
        assert made.status_code == 201, made.text
        page = httpx.get(
            f"{workspace}/audit", params={"newest": "true", "limit": "1"}, headers=headers
        )
        (event,) = page.json()["events"]
        assert event["action"] == "member.invite"
        return str(event["ip"])
    finally:
        server.stop()


def test_a_forwarded_for_header_is_not_believed_by_default(tmp_path: Path) -> None:
    assert _recorded_ip(tmp_path) == "127.0.0.1"


def test_a_trusted_proxy_names_the_client(tmp_path: Path) -> None:
    assert _recorded_ip(tmp_path, "--trusted-proxies", "127.0.0.1, ::1") == "203.0.113.9"


def test_a_proxy_that_is_no_address_is_refused_before_serving(tmp_path: Path) -> None:
    with pytest.raises(RuntimeError, match=r"'proxy\.local' is not an IP address or network"):
        start_server(tmp_path / "server", None, "--trusted-proxies", "proxy.local")
