"""Whom the audit trail's events are about, and a removed member's refusals in it, on a real
team server: a grant, revoke or removal names its member (the table's SUBJECT, ``subject`` in
`--json` and in `audit export`, which names the actor too), read from the ids the events hold,
so the chain is unchanged; and a removed member's refused requests are recorded as anyone
else's are, while another tenant's leave nothing."""

from __future__ import annotations

import csv
import io
import json
import re
from typing import TYPE_CHECKING

import pytest

from envkeep.api.denials import _target as _denied_target
from envkeep.client.audit import refuse_unfiltered, render_events, shown_subject
from envkeep.core.auditchain import EventView
from envkeep.core.errors import UsageError
from tests.server import TeamServer, join, start_server
from tests.server import cli as _cli
from tests.server import quick_ok as _ok

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TeamServer]:
    running = start_server(tmp_path_factory.mktemp("audit-subjects"))
    yield running
    running.stop()


class Team:
    """Alice, the workspace's admin, and project shop (dev, prod); Bob writes to shop and is
    then removed; Carol reads shop/dev, then loses it; Eve is another tenant's admin."""

    def __init__(self, server: TeamServer, root: Path) -> None:
        self.server, self.root, self.work = server, root, root / "work"
        self.work.mkdir()
        join(server, root / "alice", self.work, server.invite("alice@subj.io"), "alice@subj.io")
        self.a("init", "shop", "--env", "dev", "--env", "prod")
        self.a("set", "KEY=v", "--env", "prod")
        for who, role, scope in (
            ("bob", "write", ("--project", "shop")),
            ("carol", "read", ("--project", "shop", "--env", "dev")),
        ):
            code = self.a("member", "invite", f"{who}@subj.io", "--role", role, *scope).strip()
            join(server, root / who, self.work, code, f"{who}@subj.io")
            self.a("member", "grant", f"{who}@subj.io", role, *scope)
        self.a("member", "revoke", "--yes", "carol@subj.io", "--project", "shop", "--env", "dev")
        self.a("member", "remove", "bob@subj.io", "--yes")
        elsewhere = root / "elsewhere"
        elsewhere.mkdir()
        join(server, root / "eve", elsewhere, server.invite("eve@other.io"), "eve@other.io")

    def a(self, *args: str) -> str:
        return _ok(self.root / "alice", self.work, *args)

    def events(self, *args: str) -> list[dict[str, object]]:
        found: list[dict[str, object]] = json.loads(self.a("audit", "--json", *args))
        return found


@pytest.fixture(scope="module")
def team(server: TeamServer, tmp_path_factory: pytest.TempPathFactory) -> Team:
    return Team(server, tmp_path_factory.mktemp("team"))


def test_the_table_names_whom_an_event_is_about_in_a_column_of_its_own(team: Team) -> None:
    shown = _cli(team.root / "alice", team.work, "audit", "--action", "member")
    assert shown.returncode == 0, shown.stderr
    table = shown.stdout.splitlines()
    cells = [re.split(r"\s{2,}", line.strip()) for line in table]
    said = {tuple(row[3:6]) for row in cells[1:]}

    assert cells[0] == ["SEQ", "TIME", "WHO", "ACTION", "TARGET", "SUBJECT", "OUTCOME"]
    assert ("member.grant", "shop", "bob@subj.io") in said, table
    assert ("member.grant", "shop/dev", "carol@subj.io") in said, table
    assert ("member.revoke", "shop/dev", "carol@subj.io") in said, table
    assert ("member.remove", "workspace default", "bob@subj.io") in said, table
    # about an email, before any account: the invitee, as --subject EMAIL finds it
    assert ("member.invite", "bob@subj.io", "bob@subj.io") in said, table


def test_a_workspace_wide_grant_names_the_workspace_as_a_removal_does(team: Team) -> None:
    """A bare ``workspace`` read as a placeholder: an event about the whole workspace names it
    (``workspace NAME``; no project's name holds a space, so none is taken for it)."""
    code = team.a("member", "invite", "gina@subj.io", "--role", "read").strip()
    join(team.server, team.root / "gina", team.work, code, "gina@subj.io")
    team.a("member", "grant", "gina@subj.io", "read")

    events = team.events("--subject", "gina@subj.io", "--action", "member.grant")
    removal = team.events("--action", "member.remove")

    assert [(e["target"], e["subject"]) for e in events] == [("workspace default", "gina@subj.io")]
    assert [(e["target"], e["subject"]) for e in removal] == [("workspace default", "bob@subj.io")]


def test_json_names_the_actor_and_the_subject(team: Team) -> None:
    events = team.events("--action", "member.re")

    assert [(e["action"], e["target"], e["principal"], e["subject"]) for e in events] == [
        ("member.revoke", "shop/dev", "alice@subj.io", "carol@subj.io"),
        ("member.remove", "workspace default", "alice@subj.io", "bob@subj.io"),
    ]
    reads = team.events("--action", "secrets.read", "--limit", "1")
    assert reads[0]["subject"] is None


@pytest.mark.parametrize("fmt", ["jsonl", "csv"])
def test_the_export_names_the_actor_and_the_subject_and_the_chain_stays_intact(
    team: Team, fmt: str
) -> None:
    text = team.a("audit", "export", "--format", fmt)
    if fmt == "jsonl":
        rows = [json.loads(line) for line in text.splitlines()]
    else:
        rows = list(csv.DictReader(io.StringIO(text)))

    removal = next(r for r in rows if r["action"] == "member.remove")
    assert (removal["principal"], removal["subject"]) == ("alice@subj.io", "bob@subj.io")
    assert all(r["principal"] for r in rows), rows  # every event here has an actor
    verified = _cli(team.root / "alice", team.work, "audit", "verify")
    assert verified.returncode == 0, verified.stderr
    assert "intact" in verified.stdout + verified.stderr


def test_subject_finds_every_event_about_a_member_and_nothing_else(team: Team) -> None:
    about_carol = team.events("--subject", "carol@subj.io", "--limit", "0")
    about_bob = team.events("--subject", "bob@subj.io", "--action", "member")

    assert [(e["action"], e["subject"]) for e in about_carol] == [
        ("member.invite", "carol@subj.io"),  # before her account: the invite's email
        ("invite.accept", "carol@subj.io"),
        ("member.grant", "carol@subj.io"),
        ("member.revoke", "carol@subj.io"),
    ]
    assert {e["target"] for e in about_carol[:2]} == {"carol@subj.io"}
    assert [e["action"] for e in about_bob] == ["member.invite", "member.grant", "member.remove"]
    assert team.events("--subject", "nobody@subj.io") == []
    table = _cli(team.root / "alice", team.work, "audit", "--subject", "nobody@subj.io")
    assert table.returncode == 0, table.stderr
    assert "no events match --subject nobody@subj.io" in table.stdout + table.stderr


def test_the_server_filters_by_subject_before_it_takes_the_newest(team: Team) -> None:
    # Two events about carol, older than many others: a server that did not filter would
    # answer the newest two of the workspace's events, which the client refuses.
    assert [e["action"] for e in team.events("--subject", "CAROL@subj.io", "--limit", "2")] == [
        "member.grant",
        "member.revoke",
    ]


def test_subject_follows_a_token_from_its_creation_to_its_revocation(team: Team) -> None:
    team.a("token", "create", "subj-ci", "--project", "shop", "--env", "dev", "--role", "read")
    team.a("token", "rotate", "subj-ci")
    team.a("token", "revoke", "subj-ci", "--yes")

    actions = [e["action"] for e in team.events("--subject", "subj-ci", "--limit", "3")]
    as_shown = [e["action"] for e in team.events("--subject", "token subj-ci", "--limit", "0")]

    assert actions == ["token.create", "token.rotate", "token.revoke"]
    assert as_shown == actions


def test_subject_finds_the_change_of_roles_that_ended_a_token(team: Team) -> None:
    """A token ended by its maker losing the role it lived on: the grant that lowered the role
    is about the token too (`tokens_revoked_ids`), where only its name was listed."""
    scope = ("--project", "shop", "--env", "dev")
    code = team.a("member", "invite", "dave@subj.io", "--role", "write", *scope).strip()
    dave = team.root / "dave"
    join(team.server, dave, team.work, code, "dave@subj.io")
    team.a("member", "grant", "dave@subj.io", "write", *scope)
    _ok(dave, team.work, "token", "create", "dave-ci", "--role", "write", *scope)
    team.a("member", "grant", "dave@subj.io", "read", *scope, "--yes")  # ends dave-ci

    actions = [e["action"] for e in team.events("--subject", "dave-ci", "--limit", "0")]

    assert actions == ["token.create", "member.grant"], actions
    [lowered] = team.events("--action", "member.grant", "--subject", "dave-ci", "--limit", "0")
    assert json.loads(str(lowered["details"]))["tokens_revoked"] == ["dave-ci"]


def test_a_removed_members_refused_requests_are_audited(team: Team) -> None:
    before = len(team.events("--principal", "bob@subj.io", "--action", "request.denied"))
    refused = _cli(team.root / "bob", team.work, "get", "KEY", "--env", "prod")
    assert refused.returncode == 4, refused.stderr
    assert "you have no role in this workspace" in refused.stderr

    denied = team.events("--principal", "bob@subj.io", "--action", "request.denied")

    assert len(denied) == before + 1, denied
    assert (denied[-1]["target"], denied[-1]["outcome"]) == ("shop/prod", "denied")


def test_another_tenants_refused_requests_leave_nothing_in_the_workspace(team: Team) -> None:
    before = team.events("--limit", "0")
    workspace = json.loads((team.root / "alice" / "session.json").read_text())["workspace_id"]
    probe = team.root / "probe"
    probe.mkdir()
    (probe / "envkeep.toml").write_text(
        f'project = "shop"\ndefault_env = "prod"\nserver = "{team.server.url}"\n'
        f'workspace = "{workspace}"\nenvironments = ["prod"]\n'
    )
    refused = _cli(team.root / "eve", probe, "get", "KEY")

    assert refused.returncode == 4, refused.stderr
    assert team.events("--limit", "0") == before


def _event(action: str, target: str, details: str) -> EventView:
    return EventView("w", 1, "t", "admin-id", action, target, "ok", None, None, details, "", "")


def test_an_answer_a_server_did_not_filter_by_subject_is_refused() -> None:
    about = _event("member.grant", "shop", '{"principal_id": "bob-id"}')
    read = _event("secrets.read", "shop/dev", "{}")

    refuse_unfiltered([about, about])  # every event about someone: filtered
    with pytest.raises(UsageError, match="does not filter the audit by subject"):
        refuse_unfiltered([about, read])


def test_the_subject_column_names_whom_an_event_is_about_and_only_that() -> None:
    names = {"admin-id": "admin@x.io", "bob-id": "bob@x.io", "tok-id": "token ci"}
    grant = _event("member.grant", "shop/prod", '{"principal_id": "bob-id"}')
    to_token = _event("member.grant", "shop", '{"principal_id": "tok-id"}')
    made = _event("token.create", "ci", '{"principal_id": "tok-id", "role": "read"}')
    unnamed = _event("member.remove", "workspace", '{"principal_id": "0123456789abcdef"}')

    assert shown_subject(grant, names) == "bob@x.io"
    assert shown_subject(to_token, names) == "token ci"
    assert shown_subject(made, names) == "token ci"
    assert shown_subject(unnamed, names) == "01234567"
    assert shown_subject(_event("secrets.read", "shop/dev", "{}"), names) == "-"
    invited = _event("member.invite", "frank@x.io", '{"role": "read"}')
    assert shown_subject(invited, names) == "frank@x.io"  # no account yet: the email
    assert json.loads(render_events([invited], "jsonl", names))["subject"] == "frank@x.io"
    exported = json.loads(render_events([grant], "jsonl", names))
    assert (exported["principal"], exported["subject"]) == ("admin@x.io", "bob@x.io")


def test_a_rotations_subject_is_the_token_it_rotated_out_where_the_server_names_it() -> None:
    names = {"admin-id": "admin@x.io", "new-id": "token ci", "old-id": "token ci (rotated out)"}
    rotated = _event("token.rotate", "ci", '{"principal_id": "new-id", "replaced": "old-id"}')
    unnamed = {k: v for k, v in names.items() if k != "old-id"}  # a server older than that

    assert shown_subject(rotated, names) == "token ci (rotated out)"
    assert shown_subject(rotated, unnamed) == "token ci"  # its successor, as before
    exported = json.loads(render_events([rotated], "jsonl", names))
    assert (exported["subject"], exported["replaced"]) == ("token ci", "token ci (rotated out)")
    [row] = csv.DictReader(io.StringIO(render_events([rotated], "csv", names)))
    assert (row["subject"], row["replaced"]) == ("token ci", "token ci (rotated out)")
    made = _event("token.create", "ci", '{"principal_id": "new-id"}')
    assert json.loads(render_events([made], "jsonl", names))["replaced"] is None


def test_a_refused_token_action_names_the_token() -> None:
    route = "/v1/workspaces/{workspace_id}/tokens/{label}/revoke"
    assert _denied_target({"workspace_id": "w", "label": "ci"}, route) == "ci"
    shop = "/v1/workspaces/{workspace_id}/projects/{project}/environments/{environment}/secrets"
    assert _denied_target({"project": "shop", "environment": "dev"}, shop) == "shop/dev"
    assert _denied_target({"workspace_id": "w"}, "/v1/workspaces/{workspace_id}/tokens") == (
        "workspace"
    )


def test_a_csv_cell_a_spreadsheet_would_run_as_a_formula_is_written_as_text() -> None:
    names = {"admin-id": "admin@x.io"}
    planted = '=HYPERLINK("http://evil.example")@x.io'
    invited = _event("member.invite", planted, '{"role": "read"}')
    plain = _event("member.invite", "frank@x.io", '{"role": "read"}')

    rows = list(csv.DictReader(io.StringIO(render_events([invited, plain], "csv", names))))

    assert [r["target"] for r in rows] == ["'" + planted, "frank@x.io"]
    assert rows[0]["subject"] == "'" + planted
    assert json.loads(render_events([invited], "jsonl", names))["target"] == planted  # exact


def test_an_env_that_matches_nothing_and_is_no_environment_is_named_as_a_likely_typo(
    team: Team,
) -> None:
    typo = _cli(team.root / "alice", team.work, "audit", "--env", "prdo")
    real = _cli(team.root / "alice", team.work, "audit", "--env", "prod")

    assert typo.returncode == 0, typo.stderr
    assert "there is no environment 'prdo' now: did you mean 'prod'?" in typo.stdout + typo.stderr
    assert "there is no environment" not in real.stdout + real.stderr
