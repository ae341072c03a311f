"""A member's request about a project it holds no role on is answered 404, as for a project
that does not exist, and audited as a refusal (`api/denials.py`): the same answer and the same
event whether the project exists or not, through the hot routes and FastAPI's alike; other
404s, listings and other tenants leave nothing — on SQLite and on PostgreSQL."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from envkeep.api.app import create_app
from envkeep.app import accounts
from envkeep.app.context import new_uuid, utc_now
from tests.authz_support import KEY, founding_invite, joining, secret_write

if TYPE_CHECKING:
    from collections.abc import Iterator

    import httpx
    from sqlalchemy import Engine

HIDDEN, MISSING = "payments", "invoices"  # the same length: the answers' bytes compare whole
ENV = "/v1/workspaces/{ws}/projects/{project}/environments/{environment}"
SECRETS_ROUTE = ENV.replace("{ws}", "{workspace_id}") + "/secrets"
SNAPSHOT_ROUTE = ENV.replace("{ws}", "{workspace_id}") + "/snapshot"
Attempt = tuple[str, str, Any]  # method, path, JSON body (None: none)


@dataclass
class Team:
    """A workspace with projects shop (dev) and payments (prod); a member who reads shop
    only, a reader of the whole workspace, and another tenant's admin."""

    client: TestClient
    workspace: str
    admin: str
    member: str
    member_id: str
    reader: str
    foreign: str
    foreign_workspace: str

    def send(
        self, token: str, attempt: Attempt, client: TestClient | None = None
    ) -> httpx.Response:
        """``attempt`` with ``token``."""
        method, path, body = attempt
        headers = {"Authorization": f"Bearer {token}"}
        answer: httpx.Response = (client or self.client).request(
            method, path, headers=headers, json=body
        )
        return answer

    def denied(self, token: str | None = None, workspace: str | None = None) -> list[Any]:
        """The workspace's ``request.denied`` events, as its admin reads them."""
        path = f"/v1/workspaces/{workspace or self.workspace}/audit"
        page = self.client.get(
            path,
            params={"action": "request.denied"},
            headers={"Authorization": f"Bearer {token or self.admin}"},
        )
        assert page.status_code == 200, page.text
        return list(page.json()["events"])


def _headers(answer: httpx.Response) -> list[tuple[str, str]]:
    """An answer's headers but its request id (new for every request)."""
    return [(k, v) for k, v in answer.headers.multi_items() if k != "x-request-id"]


def _accept(client: TestClient, code: str, email: str) -> dict[str, Any]:
    joined = client.post("/v1/invites/accept", json=joining(code, email))
    assert joined.status_code == 201, joined.text
    found: dict[str, Any] = joined.json()
    return found


def _project(client: TestClient, token: str, workspace: str, name: str, env: str) -> None:
    body = {
        "name": name,
        "environments": [{"id": str(uuid.uuid4()), "name": env, "sealed_share": KEY}],
    }
    made = client.post(
        f"/v1/workspaces/{workspace}/projects",
        json=body,
        headers={"Authorization": f"Bearer {token}"},
    )
    assert made.status_code == 201, made.text


def _invited(client: TestClient, admin: str, workspace: str, email: str, **scope: str) -> Any:
    made = client.post(
        f"/v1/workspaces/{workspace}/invites",
        json={"email": email, "role": "read", **scope},
        headers={"Authorization": f"Bearer {admin}"},
    )
    assert made.status_code == 201, made.text
    return _accept(client, made.json()["code"], email)


@pytest.fixture
def team(engine: Engine, database: str) -> Iterator[Team]:
    with TestClient(create_app(database, rate=0)) as client:
        with Session(engine) as session, session.begin():
            code = accounts.create_bootstrap_invite(
                session, email="admin@example.com", clock=utc_now, new_id=new_uuid
            )
        admin = _accept(client, code, "admin@example.com")
        token, workspace = admin["token"], admin["workspace_id"]
        _project(client, token, workspace, "shop", "dev")
        _project(client, token, workspace, HIDDEN, "prod")
        member = _invited(client, token, workspace, "mallory@example.com", project="shop")
        reader = _invited(client, token, workspace, "reader@example.com")
        foreign = _accept(client, founding_invite(engine, "eve@example.org"), "eve@example.org")
        yield Team(
            client,
            workspace,
            token,
            member["token"],
            member["principal_id"],
            reader["token"],
            foreign["token"],
            foreign["workspace_id"],
        )


def _write(team: Team, project: str, environment: str = "prod") -> Attempt:
    """A batch for the secrets route (a hot route: taken ahead of FastAPI)."""
    path = ENV.format(ws=team.workspace, project=project, environment=environment)
    return "POST", f"{path}/secrets", {"writes": [secret_write(str(uuid.UUID(int=1)), 1)]}


def _snapshot(team: Team, project: str, environment: str = "prod") -> Attempt:
    """A snapshot read (a hot route)."""
    path = ENV.format(ws=team.workspace, project=project, environment=environment)
    return "GET", f"{path}/snapshot", None


def _add_service(team: Team, project: str) -> Attempt:
    """A change only FastAPI's router answers."""
    path = f"/v1/workspaces/{team.workspace}/projects/{project}/services"
    return "POST", path, {"name": "billing"}


def _versions(team: Team, project: str) -> Attempt:
    """A recorded read only FastAPI's router answers."""
    path = ENV.format(ws=team.workspace, project=project, environment="prod")
    return "GET", f"{path}/secrets/{uuid.UUID(int=7)}/versions", None


def _new(before: list[Any], after: list[Any]) -> list[Any]:
    seen = {e["seq"] for e in before}
    return [e for e in after if e["seq"] not in seen]


def test_a_write_and_a_snapshot_read_of_a_hidden_project_are_each_recorded_once(
    team: Team,
) -> None:
    before = team.denied()

    wrote = team.send(team.member, _write(team, HIDDEN))
    after_write = team.denied()
    read = team.send(team.member, _snapshot(team, HIDDEN))
    after_read = team.denied()

    assert wrote.status_code == 404, wrote.text
    assert read.status_code == 404, read.text
    assert wrote.json()["code"] == read.json()["code"] == "project_not_found"
    for new, route, method in (
        (_new(before, after_write), SECRETS_ROUTE, "POST"),
        (_new(after_write, after_read), SNAPSHOT_ROUTE, "GET"),
    ):
        assert len(new) == 1, new
        event = new[0]
        assert event["action"] == "request.denied"
        assert event["outcome"] == "denied"
        assert event["principal_id"] == team.member_id
        assert event["target"] == f"{HIDDEN}/prod"
        assert event["project_id"]  # the hidden project's admin reads it; its id is hashed
        assert json.loads(event["details"]) == {
            "method": method,
            "route": route,
            "status": 404,
            "project_id": event["project_id"],
        }


@pytest.mark.parametrize(
    "request_for",
    [
        pytest.param(_write, id="hot write"),
        pytest.param(_snapshot, id="hot snapshot"),
        pytest.param(_add_service, id="fastapi write"),
        pytest.param(_versions, id="fastapi versions"),
    ],
)
def test_a_hidden_project_and_a_missing_one_get_the_same_answer_and_the_same_event(
    team: Team, request_for: Any
) -> None:
    answers, events = {}, {}
    for project in (HIDDEN, MISSING):
        before = team.denied()
        answers[project] = team.send(team.member, request_for(team, project))
        events[project] = _new(before, team.denied())

    hidden, missing = answers[HIDDEN], answers[MISSING]
    assert hidden.status_code == missing.status_code == 404
    assert _headers(hidden) == _headers(missing)
    assert hidden.content.replace(HIDDEN.encode(), MISSING.encode()) == missing.content
    assert len(events[HIDDEN]) == len(events[MISSING]) == 1, events
    alike = ("principal_id", "action", "outcome", "ip")
    one, other = events[HIDDEN][0], events[MISSING][0]
    assert one["request_id"] == hidden.headers["x-request-id"]  # each the server's own id
    assert other["request_id"] == missing.headers["x-request-id"]
    # Alike but for the project: the hidden one's event names it (in its details too, hashed),
    # for its admins and the workspace's, who read it; the refused member reads neither.
    named, unnamed = json.loads(one["details"]), json.loads(other["details"])
    assert named.pop("project_id") == one["project_id"]
    assert one["project_id"] is not None
    assert (other["project_id"], unnamed.pop("project_id")) == (None, None)  # null: none
    assert {k: one[k] for k in alike} == {k: other[k] for k in alike}
    assert named == unnamed
    assert one["target"].replace(HIDDEN, MISSING) == other["target"]
    assert named["status"] == 404


def test_fastapis_own_routes_record_what_the_hot_routes_do(team: Team, database: str) -> None:
    recorded = {}
    with TestClient(create_app(database, rate=0, hot_routes=False)) as plain:
        for name, client in (("hot", team.client), ("plain", plain)):
            for build in (_write, _snapshot):
                before = team.denied()
                answered = team.send(team.member, build(team, HIDDEN), client)
                assert answered.status_code == 404, answered.text
                new = _new(before, team.denied())
                recorded[name, build.__name__] = [(e["target"], e["details"]) for e in new]

    for kind in ("_write", "_snapshot"):
        assert len(recorded["hot", kind]) == 1
        assert recorded["hot", kind] == recorded["plain", kind]


def test_a_missing_environment_of_a_project_the_member_reads_is_not_recorded(
    team: Team,
) -> None:
    before = team.denied()

    answers = [
        team.send(team.member, _snapshot(team, "shop", "nope")),
        team.send(team.member, _write(team, "shop", "nope")),
    ]
    # A reader of the whole workspace lists its projects: a missing one is its typo.
    typo = team.send(team.reader, _write(team, MISSING))

    assert [a.json()["code"] for a in answers] == ["environment_not_found"] * 2
    assert typo.status_code == 404
    assert typo.json()["code"] == "project_not_found"
    assert _new(before, team.denied()) == []


def test_a_listing_of_a_hidden_or_missing_project_is_not_recorded(team: Team) -> None:
    before = team.denied()

    listed = [
        team.send(
            team.member, ("GET", f"/v1/workspaces/{team.workspace}/projects/{p}/{what}", None)
        )
        for p in (HIDDEN, MISSING)
        for what in ("environments", "services")
    ]

    assert [a.status_code for a in listed] == [404] * 4
    assert _new(before, team.denied()) == []


def test_another_tenants_principal_leaves_nothing_in_either_trail(team: Team) -> None:
    before = team.denied()
    own_before = team.denied(team.foreign, team.foreign_workspace)

    tried = [
        team.send(team.foreign, attempt)
        for project in (HIDDEN, MISSING)
        for attempt in (_write(team, project), _snapshot(team, project))
    ]

    assert [a.status_code for a in tried] == [403] * 4  # a stranger learns no name, not a 404
    assert _new(before, team.denied()) == []
    assert _new(own_before, team.denied(team.foreign, team.foreign_workspace)) == []
