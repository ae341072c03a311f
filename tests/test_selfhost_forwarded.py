"""Behind a trusted proxy, the client's address comes from X-Forwarded-For only where it is an
IP address: anything else a trusted hop passes on (a name, text of any length) leaves the
hop itself as the client, in the audit trail, the log and the per-IP limits."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import httpx
import pytest

from envkeep.api.forwarded import forwarded_client, ip_address
from tests.server import TeamServer, cli_ok, server_per_database

if TYPE_CHECKING:
    from collections.abc import Iterator

LONG = "a" * 100  # longer than audit_events.ip (64): PostgreSQL refused the event, a 500


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[TeamServer]:
    yield from server_per_database(
        request, tmp_path_factory, "forwarded", "--trusted-proxies", "127.0.0.1"
    )


@pytest.fixture(scope="module")
def session(server: TeamServer, tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """An admin's session on ``server``."""
    root = tmp_path_factory.mktemp("forwarded-admin")
    home = root / "home"
    code = server.invite("proxy@x.io")
    cli_ok(home, root, "join", server.url, code, "--email", "proxy@x.io",
           ENVKEEP_PASSPHRASE="proxy passphrase")  # fmt: skip
    found: dict[str, str] = json.loads((home / "session.json").read_text(encoding="utf-8"))
    return found


def _invite_from(
    server: TeamServer, session: dict[str, str], forwarded_for: str
) -> tuple[str, str]:
    """An audited request sent with ``forwarded_for`` from 127.0.0.1 (the trusted proxy):
    the IP its audit event records, and the IP its log line says."""
    workspace = f"{server.url}/v1/workspaces/{session['workspace_id']}"
    headers = {"Authorization": f"Bearer {session['token']}", "X-Forwarded-For": forwarded_for}
    made = httpx.post(
        f"{workspace}/invites", json={"email": "new@x.io", "role": "read"}, headers=headers
    )
    assert made.status_code == 201, made.text
    page = httpx.get(f"{workspace}/audit", params={"newest": "true", "limit": "1"}, headers=headers)
    (event,) = page.json()["events"]
    assert event["action"] == "member.invite"
    request_id = made.headers["X-Request-ID"]
    (line,) = [
        json.loads(line)
        for line in server.log.read_text().splitlines()
        if request_id in line and '"event": "request"' in line
    ]
    return str(event["ip"]), str(line["ip"])


def test_the_nearest_address_not_a_trusted_proxy_is_the_client(
    server: TeamServer, session: dict[str, str]
) -> None:
    # A client's own X-Forwarded-For (6.6.6.6) is ahead of what the proxy appended.
    ips = _invite_from(server, session, "6.6.6.6, 203.0.113.9:4711")
    assert ips == ("203.0.113.9", "203.0.113.9")


@pytest.mark.parametrize("passed_on", [LONG, "not an ip <script>", "unknown", "fe80::1%eth0"])
def test_an_entry_that_is_no_ip_address_leaves_the_trusted_proxy_as_the_client(
    server: TeamServer, session: dict[str, str], passed_on: str
) -> None:
    assert _invite_from(server, session, passed_on) == ("127.0.0.1", "127.0.0.1")


def test_the_walk_stops_at_an_entry_that_is_no_ip_address() -> None:
    def trusts(address: object) -> bool:
        return str(address).startswith("10.")

    # 198.51.100.7 sent "junk, 203.0.113.9" itself: the proxy 10.0.0.2 saw it as the client.
    assert forwarded_client(["203.0.113.9, junk", "198.51.100.7, 10.0.0.2"], trusts) == (
        "198.51.100.7"
    )
    # A trusted hop passed on junk: that hop is the last one known.
    assert forwarded_client(["junk, 10.0.0.2"], trusts) == "10.0.0.2"
    assert forwarded_client(["junk"], trusts) is None
    assert forwarded_client(["[2001:DB8::1]:443"], trusts) == "2001:db8::1"
    assert forwarded_client(["10.0.0.3, 10.0.0.2"], trusts) == "10.0.0.3"  # all trusted


def test_only_plain_ip_addresses_are_addresses() -> None:
    assert ip_address("203.0.113.9") is not None
    assert ip_address("::1") is not None
    assert ip_address("fe80::1%eth0") is None
    assert ip_address("localhost") is None
    assert ip_address(LONG) is None


def test_a_trusted_proxy_that_terminates_tls_keeps_redirects_on_https(server: TeamServer) -> None:
    """A slash redirect behind a TLS proxy points at https, not at the plain HTTP port 80
    deploy.md says never to serve."""
    moved = httpx.get(f"{server.url}/healthz/", headers={"X-Forwarded-Proto": "https"})
    assert moved.status_code == 307
    assert moved.headers["location"].startswith("https://")
    plain = httpx.get(f"{server.url}/healthz/", headers={"X-Forwarded-Proto": "gopher"})
    assert plain.headers["location"].startswith("http://")
