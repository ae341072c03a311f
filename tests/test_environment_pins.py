"""An environment's name keeps the id this machine first read it under (`environment_pins`):
a server that answers `prod` with dev's environment, whose values all verify, is refused for
reads and writes; an admin's own renames and deletions move and drop their pins, and a
teammate accepts what changed with `env trust`."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from sqlalchemy import update
from sqlalchemy.orm import Session

from envkeep.store.engine import open_engine
from envkeep.store.models import Environment
from tests.server import TeamServer, join, start_server
from tests.server import cli as _cli
from tests.server import quick_ok as _ok

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TeamServer]:
    running = start_server(tmp_path_factory.mktemp("environment-pins"))
    yield running
    running.stop()


def _team(server: TeamServer, root: Path, tag: str) -> tuple[Path, Path, Path]:
    """Alice (admin) and Bob (write on shop), each having read dev and prod once."""
    alice, bob, work = root / "alice", root / "bob", root / "work"
    work.mkdir()
    join(server, alice, work, server.invite(f"alice@{tag}.io"), f"alice@{tag}.io")
    _ok(alice, work, "init", "shop")
    _ok(alice, work, "set", "DB=dev-db", "--env", "dev")
    _ok(alice, work, "set", "DB=prod-db", "--env", "prod")
    code = _ok(alice, work, "member", "invite", f"bob@{tag}.io", "--role", "write", "-p", "shop")
    join(server, bob, work, code.strip(), f"bob@{tag}.io")
    _ok(alice, work, "member", "grant", f"bob@{tag}.io", "write", "--project", "shop")
    for env in ("dev", "prod"):
        _ok(bob, work, "get", "DB", "--env", env)
    return alice, bob, work


def _swap_names(server: TeamServer, a: str, b: str) -> None:
    """The server's lie: environments ``a`` and ``b`` of project shop trade names."""
    engine = open_engine(server.database)
    with Session(engine) as session, session.begin():
        rows = {e.name: e for e in session.query(Environment).filter(Environment.name.in_([a, b]))}
        session.execute(update(Environment).where(Environment.id == rows[a].id).values(name="tmp"))
        session.execute(update(Environment).where(Environment.id == rows[b].id).values(name=a))
        session.execute(update(Environment).where(Environment.id == rows[a].id).values(name=b))
    engine.dispose()


def test_a_server_that_answers_prod_with_dev_is_refused_for_reads_and_writes(
    server: TeamServer, tmp_path: Path
) -> None:
    _alice, bob, work = _team(server, tmp_path, "swap")
    _swap_names(server, "dev", "prod")
    try:
        read = _cli(bob, work, "get", "DB", "--env", "prod")
        write = _cli(bob, work, "set", "DB=meant-for-dev", "--env", "dev")
    finally:
        _swap_names(server, "dev", "prod")

    for done in (read, write):
        assert done.returncode == 1, done.stderr
        assert "is not the one this machine read under that name before" in done.stderr
        assert "envkeep env trust" in done.stderr
    assert read.stdout == ""
    assert _ok(bob, work, "get", "DB", "--env", "prod") == "prod-db\n"
    assert _ok(bob, work, "get", "DB", "--env", "dev") == "dev-db\n"  # the write never went


def test_an_admins_rename_is_hers_and_a_teammate_accepts_it_with_env_trust(
    server: TeamServer, tmp_path: Path
) -> None:
    alice, bob, work = _team(server, tmp_path, "rename")
    _ok(alice, work, "get", "DB", "--env", "dev")
    _ok(alice, work, "env", "edit", "dev", "--rename", "qa", "--yes")
    _ok(alice, work, "env", "create", "dev")
    _ok(alice, work, "set", "DB=new-dev-db", "--env", "dev")

    assert _ok(alice, work, "get", "DB", "--env", "qa") == "dev-db\n"  # her own: no question
    refused = _cli(bob, work, "get", "DB", "--env", "dev")
    assert refused.returncode == 1, refused.stderr
    assert "envkeep env trust dev --project shop" in refused.stderr

    trusted = _cli(bob, work, "env", "trust", "dev")
    assert trusted.returncode == 0, trusted.stderr
    assert _ok(bob, work, "get", "DB", "--env", "dev") == "new-dev-db\n"
    assert _ok(bob, work, "get", "DB", "--env", "qa") == "dev-db\n"  # its id, named anew


def test_an_environment_this_machine_makes_is_what_its_name_stands_for_here(
    server: TeamServer, tmp_path: Path
) -> None:
    """A stale pin (a teammate deleted the name since) does not refuse this machine's own new
    environment of that name, nor its own clone."""
    alice, work = tmp_path / "alice", tmp_path / "work"
    carol = tmp_path / "carol"
    work.mkdir()
    join(server, alice, work, server.invite("alice@made.io"), "alice@made.io")
    _ok(alice, work, "init", "shop")
    code = _ok(alice, work, "member", "invite", "carol@made.io", "--role", "admin", "-p", "shop")
    join(server, carol, work, code.strip(), "carol@made.io")
    _ok(alice, work, "member", "seal", "carol@made.io")
    _ok(alice, work, "env", "clone", "prod", "stage")
    for env in ("staging", "stage"):
        _ok(carol, work, "list", "--env", env)  # pinned on carol's machine
        _ok(alice, work, "env", "delete", env, "--yes")

    _ok(carol, work, "env", "create", "staging")
    made = _cli(carol, work, "set", "DB=x", "--env", "staging")
    _ok(carol, work, "env", "clone", "prod", "stage")
    cloned = _cli(carol, work, "list", "--env", "stage")

    assert made.returncode == 0, made.stderr
    assert cloned.returncode == 0, cloned.stderr


def test_a_home_that_cannot_be_written_still_reads_and_still_refuses_a_swap(
    tmp_path: Path,
) -> None:
    from envkeep.client.environment_pins import EnvironmentPins
    from envkeep.core.errors import IntegrityError

    home = tmp_path / "home"
    home.mkdir()
    EnvironmentPins(home, "http://s", "ws").check("shop", "prod", "id-prod")
    lock = home / "known_environments.json.lock"
    lock.unlink()
    lock.mkdir()  # no lock file can be opened there now: as in a home that is read-only
    pins = EnvironmentPins(home, "http://s", "ws")

    pins.check("shop", "dev", "id-dev")  # first seen, not pinned, not refused
    with pytest.raises(IntegrityError, match="not the one this machine read"):
        pins.check("shop", "prod", "id-dev")


def test_a_refused_answer_replaces_no_copy_kept_for_offline_reads(tmp_path: Path) -> None:
    own = start_server(tmp_path / "server")
    try:
        _alice, bob, work = _team(own, tmp_path, "offline")  # bob's reads keep copies
        _swap_names(own, "dev", "prod")
        refused = _cli(bob, work, "get", "DB", "--env", "prod")
        _swap_names(own, "dev", "prod")
    finally:
        own.stop()

    offline = _cli(bob, work, "get", "DB", "--env", "prod")  # the server is down

    assert refused.returncode == 1, refused.stderr
    assert (offline.returncode, offline.stdout) == (0, "prod-db\n"), offline.stderr


def test_a_damaged_pin_file_says_what_is_pinned_again(tmp_path: Path) -> None:
    """As before the pins were shared with services: each environment, each service."""
    from envkeep.client.environment_pins import EnvironmentPins
    from envkeep.client.service_pins import ServicePins
    from envkeep.core.errors import IntegrityError

    (tmp_path / "known_environments.json").write_text("[")
    (tmp_path / "known_services.json").write_text("[")
    with pytest.raises(IntegrityError) as env_refused:
        EnvironmentPins(tmp_path, "http://s", "ws").check("shop", "dev", "E")
    with pytest.raises(IntegrityError) as service_refused:
        ServicePins(tmp_path, "http://s", "ws").check("shop", [])
    assert env_refused.value.hint == (
        "restore it from a backup; or move it away, and each environment is pinned again as"
        " it is next read"
    )
    assert "each service is pinned again as it is next read" in (service_refused.value.hint or "")
