"""A project's admin reads its project's audit events through the real CLI, on a real team
server (SQLite and PostgreSQL): `envkeep audit` in its checkout shows them (and says they are
the project's only), `--project` names the project, and the whole trail, another project's
events, and `audit verify` (which needs every event) stay the workspace's admins'; writers and
an environment's admin read no trail. The workspace's admin reads everything as before, and
the trail verifies with the verifier of an envkeep older than the server. A client refuses a
project's page that holds an event of another project."""

from __future__ import annotations

import json
from dataclasses import replace
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any

import pytest

from envkeep.client.audit import query_pages
from envkeep.core.auditchain import AuditQuery, EventPage, EventView, details_project
from envkeep.core.errors import IntegrityError, UsageError
from tests.audit_0011 import old_verify
from tests.server import TeamServer, join, server_per_database
from tests.server import cli as _cli
from tests.server import quick_ok as _ok

if TYPE_CHECKING:
    import subprocess
    from collections.abc import Iterator
    from pathlib import Path

NOT_AUTHORISED = 4


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[TeamServer]:
    yield from server_per_database(request, tmp_path_factory, "project-audit")


class Team:
    """Alice, the workspace's admin, with projects shop (dev, prod) and billing; Pat admins
    shop, Wes writes to it, Eda admins shop's prod only. Alice reads prod and writes to
    billing, so each project has reads and writes of its own."""

    def __init__(self, server: TeamServer, root: Path) -> None:
        self.root, self.shop, self.billing = root, root / "shop", root / "billing"
        self.outside = root / "elsewhere"
        for place in (self.shop, self.billing, self.outside):
            place.mkdir()
        join(server, root / "alice", self.shop, server.invite("alice@pa.io"), "alice@pa.io")
        self.a("init", "shop", "--env", "dev", "--env", "prod")
        self.a("set", "KEY=v", "--env", "prod")
        _ok(root / "alice", self.billing, "init", "billing", "--env", "prod")
        _ok(root / "alice", self.billing, "set", "RATE=1", "--env", "prod")
        for who, scope in [
            ("pat", ("admin", "--project", "shop")),
            ("wes", ("write", "--project", "shop")),
            ("eda", ("admin", "--project", "shop", "--env", "prod")),
        ]:
            email = f"{who}@pa.io"
            code = self.a("member", "invite", email, "--role", *scope).strip()
            join(server, root / who, self.shop, code, email)
            self.a("member", "grant", email, *scope)
        self.a("get", "KEY", "--env", "prod")

    def a(self, *args: str) -> str:
        return _ok(self.root / "alice", self.shop, *args)

    def run(
        self, who: str, *args: str, where: Path | None = None
    ) -> subprocess.CompletedProcess[str]:
        return _cli(self.root / who, where or self.shop, *args)

    def events(self, who: str, *args: str, where: Path | None = None) -> list[dict[str, object]]:
        done = self.run(who, "audit", "--json", "--limit", "0", *args, where=where)
        assert done.returncode == 0, done.stderr
        found: list[dict[str, object]] = json.loads(done.stdout)
        return found


@pytest.fixture(scope="module")
def team(server: TeamServer, tmp_path_factory: pytest.TempPathFactory) -> Team:
    return Team(server, tmp_path_factory.mktemp("team"))


def _projects(events: list[dict[str, object]]) -> set[object]:
    return {e["project_id"] for e in events}


def _targets(events: list[dict[str, object]]) -> set[str]:
    return {str(e["target"]).partition("/")[0] for e in events}


def test_a_project_admin_sees_its_projects_events_in_its_checkout(team: Team) -> None:
    done = team.run("pat", "audit", "--limit", "0")
    events = team.events("pat")
    every = team.events("alice")
    shop = {
        e["project_id"] for e in every if e["action"] == "project.create" and e["target"] == "shop"
    }

    assert done.returncode == 0, done.stderr
    assert "project shop's events only" in done.stderr
    assert _projects(events) == shop
    assert [e["seq"] for e in events] == [e["seq"] for e in every if e["project_id"] in shop]
    read = [e for e in events if e["action"] == "secrets.read" and e["target"] == "shop/prod"]
    assert read
    assert read[-1]["principal"] == "alice@pa.io"  # who read prod's secrets, by name
    assert "billing" not in _targets(events)


def test_project_names_the_project_and_another_ones_is_refused(team: Team) -> None:
    named = team.events("pat", "--project", "shop", where=team.outside)
    billing = team.run("pat", "audit", "--project", "billing")

    assert named
    assert len(_projects(named)) == 1
    assert None not in _projects(named)
    assert billing.returncode != 0
    assert "billing" not in billing.stdout


def test_outside_a_checkout_the_whole_trail_is_refused_with_where_to_look(team: Team) -> None:
    done = team.run("pat", "audit", where=team.outside)
    verify = team.run("pat", "audit", "verify")

    assert done.returncode == NOT_AUTHORISED, done.stderr
    assert "envkeep audit --project shop" in done.stderr
    assert verify.returncode == NOT_AUTHORISED, verify.stderr
    assert "audit verify" in verify.stderr


def test_the_export_of_a_project_admin_is_its_projects(team: Team) -> None:
    done = team.run("pat", "audit", "export", "--format", "jsonl")
    rows = [json.loads(line) for line in done.stdout.splitlines()]

    assert done.returncode == 0, done.stderr
    assert rows
    assert _projects(rows) == _projects(team.events("pat"))


@pytest.mark.parametrize("who", ["wes", "eda"])
def test_a_writer_and_an_environments_admin_read_no_trail(team: Team, who: str) -> None:
    for args in ((), ("--project", "shop")):
        done = team.run(who, "audit", *args)
        assert done.returncode == NOT_AUTHORISED, (args, done.stderr)


def test_the_workspace_admin_reads_every_event_and_the_chain_verifies(team: Team) -> None:
    done = team.run("alice", "audit", "--limit", "0")
    every = team.events("alice")
    shop = team.events("alice", "--project", "shop")
    verified = team.run("alice", "audit", "verify")

    assert "events only" not in done.stderr
    assert {"shop", "billing"} <= _targets(every)
    assert None in _projects(every)  # the workspace's own events (logins, joins, invites)
    assert len(_projects(every) - {None}) == 2
    assert [e["seq"] for e in shop] == [
        e["seq"] for e in every if e["project_id"] == shop[0]["project_id"]
    ]
    assert verified.returncode == 0, verified.stderr
    assert "intact" in verified.stdout + verified.stderr


def test_each_projects_event_names_it_in_what_an_older_cli_verifies(team: Team) -> None:
    done = team.run("alice", "audit", "export", "--format", "jsonl")
    rows = [json.loads(line) for line in done.stdout.splitlines()]
    events = [EventView(**{k: v for k, v in r.items() if k in FIELDS}) for r in rows]

    assert done.returncode == 0, done.stderr
    assert all(details_project(e) == e.project_id for e in events)  # this server's own
    assert {e.project_id for e in events} - {None}
    assert old_verify(events) is None  # no false alarm from an envkeep older than the server


FIELDS = set(EventView.__dataclass_fields__)


# --- The client's check of a project's page (no server) ------------------------------------


_OLD = "old"  # `_event`'s details from before events named their project: no key at all


def _event(seq: int, project: str | None, named: str | None) -> EventView:
    details = json.dumps({} if named == _OLD else {"project_id": named}, sort_keys=True)
    return EventView(
        "w", seq, "t", "a", "secrets.read", "shop/dev", "ok", None, None, details, "", "", project
    )


def _fetched(page: EventPage, **asked: Any) -> EventPage:
    ctx = SimpleNamespace(backend=SimpleNamespace(audit_events=lambda _query: page))
    return next(query_pages(ctx, AuditQuery(**asked)))  # type: ignore[arg-type]


SHOP = EventPage([_event(1, "p-shop", "p-shop"), _event(2, "p-shop", _OLD)], {}, "shop", "p-shop")


@pytest.mark.parametrize("asked", [{"project": "shop"}, {"fallback_project": "shop"}])
def test_a_projects_page_is_taken_when_each_event_lies_in_it(asked: dict[str, str]) -> None:
    assert _fetched(SHOP, **asked).events == SHOP.events  # the second: from before 0012


@pytest.mark.parametrize(
    "stray",
    [
        _event(3, "p-billing", "p-billing"),  # another project's, as it is
        _event(3, "p-shop", "p-billing"),  # moved into the page by its column
        _event(3, "p-shop", None),  # a workspace event, moved into it by its column
        _event(3, None, None),  # a workspace event
        _event(3, None, _OLD),  # one from before events named their project
    ],
)
def test_a_projects_page_holding_another_projects_event_is_refused(stray: EventView) -> None:
    page = replace(SHOP, events=[*SHOP.events, stray])
    for asked in ({"project": "shop"}, {"fallback_project": "shop"}):
        with pytest.raises(IntegrityError, match=r"project shop's events .*\(event 3\)"):
            _fetched(page, **asked)


def test_a_page_limited_to_another_project_or_with_no_id_is_refused() -> None:
    with pytest.raises(UsageError, match="does not limit the audit to a project"):
        _fetched(replace(SHOP, project="billing"), project="shop")
    with pytest.raises(IntegrityError):
        _fetched(replace(SHOP, project="billing"), fallback_project="shop")
    with pytest.raises(IntegrityError):
        _fetched(replace(SHOP, project_id=None), project="shop")
    whole = EventPage([_event(1, None, None), *SHOP.events], {})  # the workspace admin's
    assert _fetched(whole, fallback_project="shop").events == whole.events


def test_a_refused_read_of_a_projects_trail_is_that_projects_event(team: Team) -> None:
    """Wes (who writes to shop) asks for shop's trail: refused, and the refusal is one of
    shop's events, so shop's admin sees who tried (the audit route names the project in its
    query, not its path)."""
    refused = team.run("wes", "audit", "--project", "shop")
    events = team.events("pat", "--project", "shop")

    assert refused.returncode == NOT_AUTHORISED, refused.stderr
    denied = [e for e in events if e["action"] == "request.denied"]
    assert [e["principal"] for e in denied][-1:] == ["wes@pa.io"]
    assert "/audit" in str(denied[-1]["details"])
