"""A service's name keeps the id this machine first read it under (`service_pins`): a server
that swaps the names of two services, whose values are sealed to their ids and all verify, is
refused; an admin's own `service remove` and `service add` drop and make their pins, and a
teammate accepts what changed with `service trust`."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from sqlalchemy import update
from sqlalchemy.orm import Session

from envkeep.client.service_pins import ServicePins
from envkeep.core.errors import IntegrityError
from envkeep.store.engine import open_engine
from envkeep.store.models import Service
from tests.server import TeamServer, join, start_server
from tests.server import cli as _cli
from tests.server import quick_ok as _ok

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

    from envkeep.app.views import ServiceView


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TeamServer]:
    running = start_server(tmp_path_factory.mktemp("service-pins"))
    yield running
    running.stop()


def _team(server: TeamServer, root: Path, tag: str) -> tuple[Path, Path, Path]:
    """Alice (admin) and Bob (write on shop); services api and billing, each with its own
    DB value in dev, read once by Bob."""
    alice, bob, work = root / "alice", root / "bob", root / "work"
    work.mkdir()
    join(server, alice, work, server.invite(f"alice@{tag}.io"), f"alice@{tag}.io")
    _ok(alice, work, "init", "shop")
    for service in ("api", "billing"):
        _ok(alice, work, "service", "add", service)
        _ok(alice, work, "set", f"DB={service}-db", "--service", service, "--env", "dev")
    code = _ok(alice, work, "member", "invite", f"bob@{tag}.io", "--role", "write", "-p", "shop")
    join(server, bob, work, code.strip(), f"bob@{tag}.io")
    _ok(alice, work, "member", "grant", f"bob@{tag}.io", "write", "--project", "shop")
    assert _ok(bob, work, "get", "DB", "--service", "api", "--env", "dev") == "api-db\n"
    return alice, bob, work


def _swap_names(server: TeamServer, a: str, b: str) -> None:
    """The server's lie: services ``a`` and ``b`` trade names."""
    engine = open_engine(server.database)
    with Session(engine) as session, session.begin():
        rows = {s.name: s for s in session.query(Service).filter(Service.name.in_([a, b]))}
        session.execute(update(Service).where(Service.id == rows[a].id).values(name="tmp"))
        session.execute(update(Service).where(Service.id == rows[b].id).values(name=a))
        session.execute(update(Service).where(Service.id == rows[a].id).values(name=b))
    engine.dispose()


def test_a_server_that_swaps_two_services_names_is_refused_for_reads_and_writes(
    server: TeamServer, tmp_path: Path
) -> None:
    _alice, bob, work = _team(server, tmp_path, "swap")
    _swap_names(server, "api", "billing")
    try:
        read = _cli(bob, work, "get", "DB", "--service", "api", "--env", "dev")
        ran = _cli(bob, work, "run", "--service", "api", "--env", "dev", "--", "env")
        write = _cli(bob, work, "set", "DB=meant-for-api", "--service", "api", "--env", "dev")
        listed = _cli(bob, work, "service", "list")
    finally:
        _swap_names(server, "api", "billing")

    for done in (read, ran, write, listed):
        assert done.returncode == 1, done.stderr
        assert "is not the one this machine read under that name before" in done.stderr
        assert "envkeep service trust" in done.stderr
        assert "billing-db" not in done.stdout
    assert _ok(bob, work, "get", "DB", "--service", "api", "--env", "dev") == "api-db\n"
    assert _ok(bob, work, "get", "DB", "--service", "billing", "--env", "dev") == "billing-db\n"


def test_an_admins_remove_and_add_are_hers_and_a_teammate_accepts_them_with_service_trust(
    server: TeamServer, tmp_path: Path
) -> None:
    alice, bob, work = _team(server, tmp_path, "readd")
    _ok(alice, work, "service", "remove", "api", "--yes")
    _ok(alice, work, "service", "add", "api")
    _ok(alice, work, "set", "DB=new-api-db", "--service", "api", "--env", "dev")

    assert _ok(alice, work, "get", "DB", "--service", "api", "--env", "dev") == "new-api-db\n"
    refused = _cli(bob, work, "get", "DB", "--service", "api", "--env", "dev")
    assert refused.returncode == 1, refused.stderr
    assert "envkeep service trust api --project shop" in refused.stderr

    trusted = _cli(bob, work, "service", "trust", "api")
    assert trusted.returncode == 0, trusted.stderr
    assert "'api' is service" in trusted.stderr + trusted.stdout
    assert _ok(bob, work, "get", "DB", "--service", "api", "--env", "dev") == "new-api-db\n"
    unknown = _cli(bob, work, "service", "trust", "apj")
    assert unknown.returncode != 0
    assert "service 'apj' not found" in unknown.stderr


def _services(**ids: str) -> list[ServiceView]:
    from envkeep.app.views import ServiceView

    return [ServiceView(id_, "p", name, None, None, None) for name, id_ in ids.items()]


def test_trusting_one_of_two_swapped_services_is_not_enough(tmp_path: Path) -> None:
    pins = ServicePins(tmp_path, "http://s", "ws")
    pins.check("shop", _services(api="A", billing="B"))
    swapped = _services(api="B", billing="A")

    with pytest.raises(IntegrityError, match="service 'shop/billing'"):
        pins.check("shop", swapped, trusted=["api"])
    pins.check("shop", swapped, trusted=["api", "billing"])
    pins.check("shop", swapped)  # what the server says now is pinned
    with pytest.raises(IntegrityError, match="read as 'shop/billing'"):
        pins.check("shop", _services(worker="A"))
    ServicePins(tmp_path, "http://other", "ws").check("shop", _services(api="A"))  # its own pins


def test_a_refusal_names_every_service_to_trust_not_one_at_a_time(tmp_path: Path) -> None:
    """An admin removed and added api and billing again: the refusal's hint named one, whose
    trust was then refused naming the other, whose trust was refused naming the first."""
    pins = ServicePins(tmp_path, "http://s", "ws")
    pins.check("shop", _services(api="A", billing="B", worker="W"))
    again = _services(api="A2", billing="B2", worker="W")

    for trusted in ([], ["api"], ["billing"]):
        with pytest.raises(IntegrityError) as refused:
            pins.check("shop", again, trusted=trusted)
        hint = refused.value.hint or ""
        assert hint.endswith("--project shop"), hint
        assert set(hint.split("service trust ")[1].split()[:-2]) == {"api", "billing"}, hint
    pins.check("shop", again, trusted=["api", "billing"])
    pins.check("shop", again)


def test_a_service_init_registers_on_this_machine_is_pinned_as_service_add_pins_it(
    server: TeamServer, tmp_path: Path
) -> None:
    """`init` in a checkout whose envkeep.toml declares a service the store lacks registers it:
    that machine's own addition, which its next command refused as another service."""
    alice, bob, work = _team(server, tmp_path, "init")
    _ok(alice, work, "member", "grant", "bob@init.io", "admin", "--project", "shop")
    checkout = tmp_path / "bob-checkout"
    checkout.mkdir()
    (checkout / "envkeep.toml").write_text((work / "envkeep.toml").read_text())
    _ok(alice, work, "service", "remove", "api", "--yes")

    assert "registered the services envkeep.toml adds: api" in _cli(bob, checkout, "init").stderr
    written = _cli(bob, checkout, "set", "DB=bobs", "--service", "api", "--env", "dev")
    assert written.returncode == 0, written.stderr
    assert _ok(bob, checkout, "get", "DB", "--service", "api", "--env", "dev") == "bobs\n"
