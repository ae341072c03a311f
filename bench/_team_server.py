"""Server benchmarks: `envkeep server` throughput against a bare server and against raw SQLite.

``server-reads``: one `envkeep server` process (one uvicorn worker, SQLite in a temp dir, rate
limits off) holding one account, project and environment `dev` with 100 variables. The subject
is `GET …/environments/dev/snapshot` with a bearer token from 64 concurrent keep-alive clients;
the baseline is a bare uvicorn + Starlette JSON hello-world in its own process, under the same
load from the same client.

``server-writes``: the subject is one client posting batches of one new variable each to
`POST …/environments/dev/secrets`, one after another; the baseline is stdlib sqlite3 on a file
in the same directory (WAL, synchronous=FULL, as the server opens SQLite) inserting rows of the
same size, one transaction and commit per row. ``server-writes-64`` is the same writes from 64
concurrent keep-alive clients, which the server's group commit answers several to an fsync:
printed for reference, since raw sqlite3 commits one row at a time.

Both sides are set up and checked before any timing, get a warm-up run, then take turns in
rounds (baseline, subject, baseline, …), each round bounded by a request count and a time.
All traffic goes to 127.0.0.1; every server started here is stopped on the way out.
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import sqlite3
import time
import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import httpx

from _load import Load, Rate, Request, drive, pooled, sequential
from _rows import connect
from _servers import ServerError, envkeep_server, hello_server

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator
    from pathlib import Path

    from _servers import Server
    from _workspace import Workspace

READ_VARIABLES = 100
READ_CLIENTS = 64
WRITE_CLIENTS = 64  # writers at once for ``server-writes-64``, as many as readers
EMAIL = "bench@example.com"
PROJECT = "bench"
SETUP_TIMEOUT = 30.0


@dataclass(frozen=True)
class Effort:
    """How much each side does: a warm-up of ``warmup`` requests (or ``warmup_seconds``), then
    ``rounds`` turns sharing ``requests`` and ``seconds`` (a side stops at whichever comes
    first; requests in flight then get a grace period, `_load.GRACE_SECONDS`)."""

    warmup: int
    requests: int
    seconds: float
    rounds: int
    warmup_seconds: float = 1.0

    @property
    def per_round(self) -> int:
        return max(1, self.requests // self.rounds)

    def describe(self) -> str:
        return (
            f"up to {self.requests:,} requests or {self.seconds:.0f} s a side, in {self.rounds}"
            f" alternating rounds, after a warm-up of {self.warmup} requests"
            f" (or {self.warmup_seconds:.0f} s)"
        )


READS = Effort(warmup=300, requests=8000, seconds=20.0, rounds=8)
READS_QUICK = Effort(warmup=100, requests=600, seconds=3.0, rounds=2)
WRITES = Effort(warmup=20, requests=1200, seconds=12.0, rounds=6)
WRITES_QUICK = Effort(warmup=10, requests=100, seconds=3.0, rounds=2)
CONCURRENT_WRITES = Effort(warmup=300, requests=6000, seconds=20.0, rounds=6)
CONCURRENT_WRITES_QUICK = Effort(warmup=100, requests=600, seconds=3.0, rounds=2)


@dataclass(frozen=True)
class Rates:
    """What a server benchmark measured: the subject's rate and the baseline's."""

    subject: Rate
    baseline: Rate


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


# --- opaque ciphertext of realistic sizes (the server never decrypts) -------------------------

# XChaCha20-Poly1305: a 24-byte nonce and a 16-byte tag around the plaintext.
_SEAL = 24 + 16


@dataclass(frozen=True)
class Sealed:
    """One new variable as a client sends it, in raw bytes: a 36-char id, a 32-byte name
    index, a sealed name, a sealed value of 20-60 bytes (60-100 bytes of ciphertext), and an
    Ed25519 signature."""

    secret_id: str
    name_index: bytes
    name_ct: bytes
    value_ct: bytes
    signature: bytes

    @classmethod
    def new(cls, index: int) -> Sealed:
        return cls(
            secret_id=str(uuid.uuid4()),
            name_index=os.urandom(32),
            name_ct=os.urandom(_SEAL + len(f"VARIABLE_{index:05d}")),
            value_ct=os.urandom(_SEAL + 20 + index % 41),
            signature=os.urandom(64),
        )

    def write(self) -> dict[str, Any]:
        """The JSON of a write creating it (version 0 -> 1) in the shared scope."""
        return {
            "secret_id": self.secret_id,
            "scope": "shared",
            "name_index": b64(self.name_index),
            "expected_version": 0,
            "key_version": 1,
            "name_ct": b64(self.name_ct),
            "value_ct": b64(self.value_ct),
            "signature": b64(self.signature),
        }


# --- set-up through the API ------------------------------------------------------------------


@dataclass(frozen=True)
class Account:
    """A joined admin's bearer token and where its environment `dev` lives."""

    token: str
    environment_path: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


def _ok(response: httpx.Response, expected: int = 200) -> Any:
    if response.status_code != expected:
        raise ServerError(
            f"set-up: {response.request.method} {response.request.url.path} answered"
            f" {response.status_code}: {response.text[:500]}"
        )
    return response.json()


def _join(ws: Workspace, server: Server, database: str, api: httpx.Client) -> str:
    code = ws.envkeep(ws.root, "server", "bootstrap", "--email", EMAIL, "--db", database)
    key = b64(os.urandom(32))
    body = {
        "code": code.strip().splitlines()[0],
        "email": EMAIL,
        "encryption_public": key,
        "signing_public": key,
        "wrapped_private_keys": b64(os.urandom(120)),
        "kdf_salt": b64(os.urandom(16)),
        "kdf": {"memory_kib": 65536, "iterations": 3, "lanes": 4},
        "auth_key": b64(os.urandom(32)),
    }
    joined = _ok(api.post(f"{server.url}/v1/invites/accept", json=body), 201)
    api.headers["Authorization"] = f"Bearer {joined['token']}"
    return str(joined["workspace_id"])


def seed(ws: Workspace, server: Server, database: str) -> Account:
    """An admin account, project `bench` with environment `dev`, and one batch of 100
    variables; checked by reading the snapshot back."""
    with httpx.Client(timeout=SETUP_TIMEOUT) as api:
        workspace = _join(ws, server, database, api)
        environment = {"id": str(uuid.uuid4()), "name": "dev", "sealed_share": b64(os.urandom(80))}
        project = {"name": PROJECT, "environments": [environment]}
        _ok(api.post(f"{server.url}/v1/workspaces/{workspace}/projects", json=project), 201)
        path = f"/v1/workspaces/{workspace}/projects/{PROJECT}/environments/dev"
        writes = [Sealed.new(index).write() for index in range(READ_VARIABLES)]
        _ok(api.post(f"{server.url}{path}/secrets", json={"writes": writes}))
        account = Account(api.headers["Authorization"].split(" ", 1)[1], path)
    check_snapshot(server, account, READ_VARIABLES, revision=1)
    return account


def check_snapshot(server: Server, account: Account, variables: int, revision: int) -> None:
    """Raise unless the environment holds ``variables`` secrets at ``revision``."""
    with httpx.Client(timeout=SETUP_TIMEOUT, headers=account.headers) as api:
        response = api.get(f"{server.url}{account.environment_path}/snapshot")
    found = len(_ok(response)["secrets"])
    etag = response.headers.get("etag")
    if found != variables or etag != f'"{revision}"':
        raise ServerError(
            f"snapshot holds {found} secrets at ETag {etag}; expected {variables} at {revision}"
        )


# --- taking turns ----------------------------------------------------------------------------


def alternate(
    subject: Callable[[int, float], Load],
    baseline: Callable[[int, float], Load],
    effort: Effort,
) -> Rates:
    """Warm both sides up, then run them in turns (baseline first); each call gets a request
    count and a time limit, and the runs of each side are pooled."""
    baseline(effort.warmup, effort.warmup_seconds)
    subject(effort.warmup, effort.warmup_seconds)
    seconds = effort.seconds / effort.rounds
    subject_loads: list[Load] = []
    baseline_loads: list[Load] = []
    for _ in range(effort.rounds):
        baseline_loads.append(baseline(effort.per_round, seconds))
        subject_loads.append(subject(effort.per_round, seconds))
    return Rates(pooled(subject_loads), pooled(baseline_loads))


# --- server-reads ----------------------------------------------------------------------------


def _hello_request(hello: Server) -> Request:
    with httpx.Client(timeout=SETUP_TIMEOUT) as api:
        answer = _ok(api.get(hello.url + "/"))
    if answer != {"hello": "world"}:
        raise ServerError(f"the hello-world server answered {answer!r}")
    return Request.build(hello.port, "GET", "/", {"Accept": "application/json"})


def measure_reads(ws: Workspace, effort: Effort) -> Rates:
    """``server-reads``: snapshots of 100 variables against hello-world, 64 clients each."""
    root = ws.root / "server-reads"
    with (
        envkeep_server(ws, root / "envkeep") as (server, database),
        hello_server(ws, root / "hello") as hello,
    ):
        account = seed(ws, server, database)
        headers = {"Accept": "application/json", **account.headers}
        snapshot = Request.build(
            server.port, "GET", f"{account.environment_path}/snapshot", headers
        )
        hello_world = _hello_request(hello)

        def subject(count: int, seconds: float) -> Load:
            return drive(
                server.port, lambda _: snapshot, clients=READ_CLIENTS, count=count, seconds=seconds
            )

        def baseline(count: int, seconds: float) -> Load:
            return drive(
                hello.port,
                lambda _: hello_world,
                clients=READ_CLIENTS,
                count=count,
                seconds=seconds,
            )

        return alternate(subject, baseline, effort)


# --- server-writes ---------------------------------------------------------------------------


def _write_requests(
    port: int, path: str, count: int, headers: dict[str, str] | None = None
) -> Iterator[Request]:
    """``count`` POSTs to ``path``, each a batch of one new variable, built before any timing."""
    sent = {"Accept": "application/json", "Content-Type": "application/json", **(headers or {})}
    bodies = (json.dumps({"writes": [Sealed.new(i).write()]}).encode() for i in range(count))
    return iter([Request.build(port, "POST", path, sent, body) for body in bodies])


def _against_raw_sqlite(
    subject: Callable[[int, float], Load], path: Path, effort: Effort, *, wal: bool = True
) -> Rates:
    """``subject`` in turns with raw sqlite3 committing rows to a new file at ``path``, which
    must hold every row it committed (``wal``: as `_rows.connect`)."""
    raw = RawSqlite(path, wal=wal)
    try:
        rates = alternate(subject, raw.insert, effort)
        raw.check()
    finally:
        raw.close()
    return rates


class RawSqlite:
    """The baseline: one row per transaction, committed, on a WAL file with synchronous=FULL
    (``wal=False``: sqlite3's default rollback journal)."""

    def __init__(self, path: Path, *, wal: bool = True) -> None:
        self.db = connect(path, wal=wal)
        self.environment = str(uuid.uuid4())
        self.rows = 0

    def insert(self, count: int, seconds: float) -> Load:
        rows = [Sealed.new(self.rows + index) for index in range(count)]
        latencies: list[float] = []
        start = time.perf_counter()
        for row in rows:
            began = time.perf_counter()
            if began - start >= seconds:
                break
            self.db.execute(
                "INSERT INTO secret_version VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    row.secret_id,
                    self.environment,
                    "shared",
                    row.name_index,
                    row.name_ct,
                    row.value_ct,
                    row.signature,
                    time.strftime("%Y-%m-%dT%H:%M:%SZ"),
                ),
            )
            self.db.commit()
            latencies.append(time.perf_counter() - began)
        self.rows += len(latencies)
        return Load({200: len(latencies)}, time.perf_counter() - start, tuple(latencies))

    def check(self) -> None:
        (found,) = self.db.execute("SELECT count(*) FROM secret_version").fetchone()
        if found != self.rows:
            raise ServerError(f"raw sqlite3 holds {found} rows; {self.rows} were committed")

    def close(self) -> None:
        self.db.close()


def measure_writes(ws: Workspace, effort: Effort) -> Rates:
    """``server-writes``: one-variable batches, one after another, against raw sqlite3."""
    return _writes(ws, effort, clients=1)


def measure_writes_floor(ws: Workspace, effort: Effort) -> Rates:
    """``server-writes-floor``: the same one-variable bodies, one after another, to the
    hello-world's ``POST /rows`` (parse, insert one row, commit, answer: no envkeep), against
    raw sqlite3. For reference: what a Python server on this stack can reach at best."""
    root = ws.root / "server-writes-floor"
    rows = root / "rows.db"
    with hello_server(ws, root / "hello", rows) as hello:
        pending = _write_requests(hello.port, "/rows", effort.warmup + effort.requests)
        written = 0

        def subject(count: int, seconds: float) -> Load:
            nonlocal written
            load = sequential(hello.port, lambda _: next(pending), count=count, seconds=seconds)
            written += load.count
            return load

        rates = _against_raw_sqlite(subject, root / "raw.db", effort)
    with contextlib.closing(sqlite3.connect(rows)) as db:
        (found,) = db.execute("SELECT count(*) FROM secret_version").fetchone()
    if found != written:
        raise ServerError(f"the floor server holds {found} rows; {written} were answered")
    return rates


def measure_writes_default_journal(ws: Workspace, effort: Effort) -> Rates:
    """``server-writes-default-journal``: ``server-writes`` against raw sqlite3 as
    ``sqlite3.connect`` opens a file (rollback journal), for reference."""
    return _writes(ws, effort, clients=1, wal=False)


def measure_concurrent_writes(ws: Workspace, effort: Effort) -> Rates:
    """``server-writes-64``: one-variable batches from 64 clients at once, against raw
    sqlite3 (for reference)."""
    return _writes(ws, effort, clients=WRITE_CLIENTS)


def _writes(ws: Workspace, effort: Effort, *, clients: int, wal: bool = True) -> Rates:
    root = ws.root / f"server-writes-{clients}{'' if wal else '-journal'}"
    with envkeep_server(ws, root / "envkeep") as (server, database):
        account = seed(ws, server, database)
        path = f"{account.environment_path}/secrets"
        pending = _write_requests(
            server.port, path, effort.warmup + effort.requests, account.headers
        )
        written = 0

        def subject(count: int, seconds: float) -> Load:
            nonlocal written
            if clients == 1:
                load = sequential(
                    server.port, lambda _: next(pending), count=count, seconds=seconds
                )
            else:
                load = drive(
                    server.port,
                    lambda _: next(pending),
                    clients=clients,
                    count=count,
                    seconds=seconds,
                )
            written += load.count
            return load

        rates = _against_raw_sqlite(subject, root / "raw.db", effort, wal=wal)
        check_snapshot(server, account, READ_VARIABLES + written, revision=1 + written)
        return rates
