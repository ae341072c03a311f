"""What every request passes before its route (`api/observability.Observe`), against real
`envkeep server` processes: the body limit on bytes as they come (chunked too), probes that no
rate limit or rate store failure reaches, every answer logged and counted, an unexpected error
as one JSON line, and the server's own request ids."""

from __future__ import annotations

import json
import re
import select
import socket
import time
from contextlib import closing
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session

from envkeep.api.problems import MEDIA_TYPE
from envkeep.api.routes_secrets import PREFIX as SECRETS_PREFIX
from envkeep.store.engine import open_engine
from envkeep.store.models import Principal
from tests.server import TeamServer, cli, start_server

if TYPE_CHECKING:
    from collections.abc import Iterator

    from tests.pg import PostgresServer

MIB = 1 << 20
LIMIT = 16 * MIB  # the server's body limit (`api/app.MAX_BODY`)
HOT_WRITE = "/v1/workspaces/w/projects/p/environments/dev/secrets"  # `hot_routes` reads it
# The route each path is counted under (the metrics' and the log line's label).
ROUTES = {
    "/v1/auth/prelogin": "/v1/auth/prelogin",
    HOT_WRITE: f"{SECRETS_PREFIX}/secrets",
}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TeamServer]:
    running = start_server(tmp_path_factory.mktemp("layer"))
    yield running
    running.stop()


def _rss(server: TeamServer) -> int:
    """The server process's resident memory, in bytes."""
    with Path(f"/proc/{server.process.pid}/status").open() as status:
        line = next(line for line in status if line.startswith("VmRSS:"))
    return int(line.split()[1]) * 1024


def _raw(server: TeamServer, head: str, chunks: int = 0) -> tuple[int, bytes]:
    """Send ``head`` (a request line and headers), then up to ``chunks`` chunks of 1 MiB each
    (chunked encoding) until the server answers; (bytes of body sent, the server's answer)."""
    where = urlsplit(server.url)
    framed = b"%x\r\n" % MIB + b"a" * MIB + b"\r\n"
    sent = 0
    with socket.create_connection((where.hostname, where.port), timeout=60) as sock:
        sock.sendall(head.encode() + b"\r\n")
        try:
            while sent < chunks * MIB and not select.select([sock], [], [], 0)[0]:
                sock.sendall(framed)
                sent += MIB
            if chunks and sent == chunks * MIB:
                sock.sendall(b"0\r\n\r\n")  # all of it: an unlimited server answers now
        except (BrokenPipeError, ConnectionResetError):  # it closed: the answer is in
            pass
        answer = b""
        try:
            while part := sock.recv(65536):
                answer += part
        except ConnectionResetError:
            pass
    return sent, answer


def _kernel_receive_buffer() -> int:
    """The most a TCP socket's receive buffer grows to here (6 MiB, Linux's usual, if unknown)."""
    try:
        return int(Path("/proc/sys/net/ipv4/tcp_rmem").read_text().split()[2])
    except (OSError, ValueError, IndexError):
        return 6 * MIB


def _chunked_post(path: str) -> str:
    return (
        f"POST {path} HTTP/1.1\r\nHost: envkeep\r\nContent-Type: application/json\r\n"
        "Transfer-Encoding: chunked\r\n"
    )


def _status_and_headers(answer: bytes) -> tuple[int, dict[str, str]]:
    head = answer.partition(b"\r\n\r\n")[0].decode("latin-1").split("\r\n")
    headers = dict(line.lower().split(": ", 1) for line in head[1:])
    return int(head[0].split()[1]), headers


def _logged(server: TeamServer, request_id: str, timeout: float = 5.0) -> list[dict[str, Any]]:
    """The server's log lines about ``request_id`` (each line JSON), once its request line is."""
    deadline = time.monotonic() + timeout
    while True:
        lines = _json_lines(server)
        found = [line for line in lines if line.get("request_id") == request_id]
        if any(line["event"] == "request" for line in found) or time.monotonic() > deadline:
            return found
        time.sleep(0.05)


def _json_lines(server: TeamServer) -> list[dict[str, Any]]:
    return [json.loads(line) for line in server.log.read_text().splitlines() if line[:1] == "{"]


def _errors(server: TeamServer, route: str, status: int) -> float:
    """``envkeep_request_errors_total`` for one route and status (0 when not there yet)."""
    metrics = httpx.get(f"{server.url}/metrics").text
    series = f'envkeep_request_errors_total{{route="{route}",status="{status}"}} '
    found = [line for line in metrics.splitlines() if line.startswith(series)]
    return float(found[0].split()[-1]) if found else 0.0


@pytest.mark.parametrize("path", ["/v1/auth/prelogin", HOT_WRITE])
def test_a_chunked_body_over_the_limit_is_refused_before_the_server_reads_it(
    server: TeamServer, path: str
) -> None:
    before = _rss(server)
    route = ROUTES[path]
    counted = _errors(server, route, 413)
    sent, answer = _raw(server, _chunked_post(path), chunks=96)
    status, headers = _status_and_headers(answer)
    assert status == 413, answer[:300]
    assert headers["content-type"] == "application/problem+json"
    assert headers["connection"] == "close"  # the server reads no more of it
    assert b'"code":"too_large"' in answer
    # What the kernel takes in before the server's answer is seen: its receive buffer grows
    # (autotuned) up to tcp_rmem's maximum on loopback, so a loaded machine lets more through.
    # A server that read the whole body would have taken all 96 MiB.
    slack = 8 * MIB + _kernel_receive_buffer()
    assert LIMIT + slack < 96 * MIB
    assert sent < LIMIT + slack, f"{sent // MIB} MiB sent before the answer"
    assert _rss(server) - before < 48 * MIB  # not 96 MiB read into memory
    assert [line["route"] for line in _logged(server, headers["x-request-id"])] == [route]
    assert _errors(server, route, 413) == counted + 1  # counted under its route


def test_a_chunked_body_within_the_limit_reaches_its_route(server: TeamServer) -> None:
    def body() -> Iterator[bytes]:  # a generator: httpx sends it chunked, without a length
        yield b'{"email": '
        yield b'"nobody@example.com"}'

    answer = httpx.post(
        f"{server.url}/v1/auth/prelogin",
        content=body(),
        headers={"Content-Type": "application/json"},
    )
    assert answer.status_code == 200, answer.text
    assert set(answer.json()) == {"kdf_salt", "kdf"}


def test_a_declared_body_over_the_limit_is_refused_logged_and_counted(server: TeamServer) -> None:
    counted = _errors(server, "/v1/auth/prelogin", 413)
    head = (
        "POST /v1/auth/prelogin HTTP/1.1\r\nHost: envkeep\r\nContent-Type: application/json\r\n"
        f"Content-Length: {LIMIT + 1}\r\n"
    )
    _sent, answer = _raw(server, head)
    status, headers = _status_and_headers(answer)
    assert (status, headers["connection"]) == (413, "close")
    [line] = _logged(server, headers["x-request-id"])
    assert (line["route"], line["status"], line["ip"]) == ("/v1/auth/prelogin", 413, "127.0.0.1")
    assert _errors(server, "/v1/auth/prelogin", 413) == counted + 1


def test_probes_spend_no_budget_and_every_429_is_logged_and_counted_under_its_route(
    tmp_path: Path,
) -> None:
    limited = start_server(tmp_path, None, "--rate", "1")  # a burst of 4, then 1 a second
    try:
        answers = [httpx.get(f"{limited.url}/openapi.json") for _ in range(10)]
        answers += [httpx.get(f"{limited.url}/v1/nowhere") for _ in range(2)]
        probes = [
            httpx.get(f"{limited.url}{path}").status_code
            for _ in range(6)
            for path in ("/healthz", "/readyz", "/metrics")
        ]
        refused = [answer for answer in answers if answer.status_code == 429]
        assert refused, "the burst must run out"
        assert probes == [200] * 18
        [line] = _logged(limited, refused[0].headers["x-request-id"])
        assert (line["status"], line["route"], line["ip"]) == (429, "/openapi.json", "127.0.0.1")
        nowhere = [a for a in refused if a.url.path == "/v1/nowhere"]
        assert _errors(limited, "/openapi.json", 429) == len(refused) - len(nowhere)
        assert _errors(limited, "unmatched", 429) == len(nowhere)  # a path no route takes
    finally:
        limited.stop()


def _broken_account(server: TeamServer, email: str) -> None:
    """An account whose stored KDF parameters do not parse: its prelogin fails unexpectedly."""
    engine = open_engine(server.database)
    with Session(engine) as session, session.begin():
        session.add(
            Principal(
                id=f"broken-{email}",
                kind="user",
                name=email,
                encryption_public=b"e" * 32,
                signing_public=b"s" * 32,
                kdf_salt=b"salt" * 4,
                kdf_params="{not json",
                created_at=datetime.now(UTC),
            )
        )
    engine.dispose()


def test_an_unexpected_error_is_one_json_line_with_the_request_id(server: TeamServer) -> None:
    _broken_account(server, "broken@example.com")
    answer = httpx.post(f"{server.url}/v1/auth/prelogin", json={"email": "broken@example.com"})
    request_id = answer.headers["x-request-id"]
    assert (answer.status_code, answer.headers["content-type"]) == (500, MEDIA_TYPE)
    assert (answer.json()["code"], answer.json()["request_id"]) == ("internal", request_id)
    assert "JSON" not in answer.text  # the error is the log's, not the client's
    lines = _logged(server, request_id)
    assert [(line["event"], line["level"]) for line in lines] == [
        ("unhandled error", "error"),
        ("request", "error"),
    ]
    assert "JSONDecodeError" in lines[0]["exception"]
    assert lines[1]["status"] == 500
    plain = [line for line in server.log.read_text().splitlines() if line[:1] != "{"]
    assert not [line for line in plain if "Traceback" in line or "Error" in line], plain


def test_the_cli_names_the_request_id_of_a_server_failure_as_its_log_has_it(
    server: TeamServer, tmp_path: Path
) -> None:
    _broken_account(server, "failing@example.com")
    failed = cli(
        tmp_path, tmp_path, "login", server.url, "--email", "failing@example.com",
        ENVKEEP_PASSPHRASE="correct horse battery staple",
    )  # fmt: skip
    assert failed.returncode == 5, failed.stderr  # as for a server out of reach: try again
    said = re.fullmatch(
        r"error: the server failed with an error of its own \(request id ([0-9a-f]{32})\)\n"
        r"hint: retry; if it persists, give the server's operator the request id .*\n",
        failed.stderr,
    )
    assert said is not None, failed.stderr
    [error, _request] = _logged(server, said[1])
    assert (error["event"], error["level"]) == ("unhandled error", "error")
    assert "JSONDecodeError" in error["exception"]


def test_the_server_answers_with_its_own_request_id_and_logs_a_well_formed_clients(
    server: TeamServer,
) -> None:
    answer = httpx.get(f"{server.url}/healthz", headers={"X-Request-ID": "ci-job.42_a"})
    assert re.fullmatch(r"[0-9a-f]{32}", answer.headers["x-request-id"])
    [line] = _logged(server, answer.headers["x-request-id"])
    assert line["client_request_id"] == "ci-job.42_a"
    for odd in ('x", "level": "error', "a" * 65, "é"):
        answer = httpx.get(f"{server.url}/healthz", headers={b"X-Request-ID": odd.encode()})
        [line] = _logged(server, answer.headers["x-request-id"])
        assert "client_request_id" not in line, line


@pytest.fixture
def pg_database(postgres: PostgresServer) -> Iterator[str]:
    url = postgres.create_database()
    yield url
    admin = open_engine(postgres.admin_url).execution_options(isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:  # as the test found it, if it failed half-way
        name = url.rsplit("/", 1)[1]
        connection.execute(text(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true'))
    admin.dispose()
    postgres.drop_database(url)


def _outage(postgres: PostgresServer, url: str) -> None:
    """The database stops taking connections, and the ones open end."""
    name = url.rsplit("/", 1)[1]
    admin = open_engine(postgres.admin_url).execution_options(isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false'))
        connection.execute(
            text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :n"),
            {"n": name},
        )
    admin.dispose()


def test_a_database_outage_leaves_liveness_up_and_answers_503s_as_problems(
    tmp_path: Path, postgres: PostgresServer, pg_database: str
) -> None:
    shared = start_server(tmp_path, pg_database, "--rate-store", "database")
    try:
        assert httpx.post(f"{shared.url}/v1/auth/prelogin", json={"email": "a@x.io"}).is_success
        _outage(postgres, pg_database)
        live = httpx.get(f"{shared.url}/healthz")
        ready = httpx.get(f"{shared.url}/readyz")
        api = [
            httpx.post(f"{shared.url}/v1/auth/prelogin", json={"email": "a@x.io"}) for _ in range(3)
        ]
        assert (live.status_code, live.json()) == (200, {"status": "ok"})
        assert (ready.status_code, ready.json()["code"]) == (503, "not_ready")
        for answer in api:
            assert answer.status_code == 503, answer.text
            assert answer.headers["content-type"] == "application/problem+json"
            assert answer.json()["code"] == "unavailable"
        metrics = httpx.get(f"{shared.url}/metrics").text
        failures = re.search(r"^envkeep_rate_limit_failures_total (\S+)$", metrics, re.M)
        assert failures is not None, metrics[-2000:]
        assert float(failures[1]) >= 3  # every request's check failed; all passed
        warned = [line for line in _json_lines(shared) if line["level"] == "warning"]
        assert [line["limiter"] for line in warned] == ["ip"]  # once a minute, not per request
    finally:
        shared.stop()


def _asgi_call(app: Any, path: str) -> tuple[list[dict[str, Any]], list[Any]]:
    """``app`` called for ``GET path`` as a server would: (the messages it sent, the log)."""
    import asyncio

    from structlog.testing import capture_logs

    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: Any) -> None:
        sent.append(message)

    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "GET",
        "scheme": "http", "path": path, "raw_path": path.encode(), "query_string": b"",
        "root_path": "", "headers": [], "client": ("127.0.0.1", 5000),
        "server": ("127.0.0.1", 8600),
    }  # fmt: skip
    with capture_logs() as logged:
        asyncio.run(app(scope, receive, send))
    return sent, logged


def _migrated_app(tmp_path: Path) -> Any:
    from envkeep.api.app import create_app
    from envkeep.store.engine import sqlite_url
    from envkeep.store.migrate import upgrade

    database = sqlite_url(tmp_path / "server.db")
    engine = open_engine(database)
    upgrade(engine)
    engine.dispose()
    return create_app(database)


def test_an_error_before_any_answer_is_answered_by_observe_as_a_problem(tmp_path: Path) -> None:
    """What fails behind ``Observe`` with nothing answered yet (no route's error handler ran)
    gets the same 500 problem, its request id the header's, and nothing of the error."""
    app = _migrated_app(tmp_path)

    async def fails_at_once(scope: Any, receive: Any, send: Any) -> None:
        raise RuntimeError("token=PLANTED-tok3n-4411")

    front: Any = app.front
    front.app = fails_at_once
    sent, logged = _asgi_call(app, "/v1/whoami")

    headers = dict(sent[0]["headers"])
    request_id = headers[b"x-request-id"].decode()
    body = json.loads(sent[1]["body"])
    assert (sent[0]["status"], headers[b"content-type"]) == (500, MEDIA_TYPE.encode())
    assert (body["code"], body["request_id"]) == ("internal", request_id)
    assert b"PLANTED" not in sent[1]["body"]
    [failed] = [e for e in logged if e["event"] == "unhandled error"]
    assert (failed["request_id"], "answered" in failed) == (request_id, False)


def test_an_error_after_the_answer_started_is_recorded_as_a_500(tmp_path: Path) -> None:
    """The head said 200, then the body failed: the client got a cut-short answer, so the
    request line and the error count say 500, and the error's line what the head said."""
    from prometheus_client import generate_latest

    app = _migrated_app(tmp_path)

    async def breaks_midway(scope: Any, receive: Any, send: Any) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"{", "more_body": True})
        raise RuntimeError("the rest of the body failed")

    front: Any = app.front
    front.app = breaks_midway
    sent, logged = _asgi_call(app, "/v1/whoami")

    failed = [e for e in logged if e["event"] == "unhandled error"]
    request = [e for e in logged if e["event"] == "request"]
    assert sent[0]["status"] == 200  # what the client was told before the body failed
    assert [e["answered"] for e in failed] == [200]
    assert [e["status"] for e in request] == [500]
    assert 'status="500"' in generate_latest(app.state.metrics.registry).decode()


def test_a_database_that_fails_is_answered_503_and_its_reason_is_in_the_log_line(
    tmp_path: Path,
) -> None:
    """A disk that is full or a database file that turned read-only is a 503 "retry in a
    moment" for the client; the operator's log line says what the database said. A dropped
    table stands in for them: SQLite reports it as the same kind of error."""
    import sqlite3

    running = start_server(tmp_path)
    try:
        with closing(sqlite3.connect(tmp_path / "server.db")) as db, db:  # closed, committed
            db.execute("DROP TABLE alembic_version")
            db.execute("DROP TABLE principals")
        api = httpx.post(f"{running.url}/v1/auth/prelogin", json={"email": "a@x.io"})
        ready = httpx.get(f"{running.url}/readyz")
        lines = [_logged(running, r.headers["x-request-id"]) for r in (api, ready)]
    finally:
        running.stop()
    assert (api.status_code, ready.status_code) == (503, 503)
    assert "principals" not in api.text  # the client is told nothing of the database
    [[api_line], [ready_line]] = lines
    assert (api_line["status"], api_line["level"]) == (503, "error")
    assert api_line["database_error"] == "no such table: principals"
    assert ready_line["database_error"] == "no such table: alembic_version"
