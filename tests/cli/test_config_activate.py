"""`envkeep activate-all`: every service's resolved, validated `.env` written into its path
(0600, with envkeep's header) — all of them or none."""

from __future__ import annotations

import hashlib
import json
import shutil
import stat
from typing import TYPE_CHECKING

import pytest

from envkeep.core.dotenv import ParsedDotenv, parse_dotenv, render_dotenv

from .config_fixtures import (
    API_DEV_RESOLVED,
    PLAIN_GIT,
    SERVICES,
    STORED,
    assert_one_line_error,
    config_template_fixture,  # noqa: F401 - a fixture, requested by name
    config_tree_fixture,  # noqa: F401 - a fixture, requested by name
    git,
)
from .conftest import quick_ok

if TYPE_CHECKING:
    from pathlib import Path

    from .conftest import Envkeep, Result

HEADER = "# Written by envkeep activate-all (env: dev, service: {service})."
SHARED = STORED["dev"]["shared"]
EXPECTED = {  # what each service's .env holds for dev
    "api": {"WORKERS": "4"} | API_DEV_RESOLVED,  # WORKERS: the schema's @default
    "worker": SHARED | STORED["dev"]["worker"] | {"API_URL": "http://api:8080"},
    "web": SHARED | STORED["dev"]["web"] | {"PRICE_HINT": "price=${AMOUNT}"},
}


def env_file(root: Path, service: str) -> Path:
    return root / "services" / service / ".env"


def summary(result: Result) -> dict[str, list[str]]:
    """The summary table's rows by service: [file, action, count, changes…]."""
    assert result.code == 0, result.describe()
    table = [line.split() for line in result.stdout.splitlines()[1:] if line.strip()]
    return {row[0]: row[1:] for row in table}


def test_activate_all_writes_each_service_env_file_0600_with_the_header(
    envkeep: Envkeep, config_tree: Path
) -> None:
    rows = summary(envkeep("activate-all", "--env", "dev"))

    assert {s: (row[0], row[1]) for s, row in rows.items()} == {
        s: (f"services/{s}/.env", "create") for s in SERVICES
    }
    for service in SERVICES:
        path = env_file(config_tree, service)
        text = path.read_text(encoding="utf-8")
        assert text.splitlines()[0] == HEADER.format(service=service)
        assert parse_dotenv(text).values == EXPECTED[service]
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        assert rows[service][2] == str(len(EXPECTED[service]))


def test_a_second_activation_reports_every_file_unchanged(
    envkeep: Envkeep, config_tree: Path
) -> None:
    quick_ok(envkeep, "activate-all", "--env", "dev")
    before = {s: env_file(config_tree, s).stat().st_mtime_ns for s in SERVICES}

    again, as_json = envkeep.many(
        ("activate-all", "--env", "dev"), ("activate-all", "--env", "dev", "--json")
    )

    assert {s: row[1] for s, row in summary(again).items()} == dict.fromkeys(SERVICES, "unchanged")
    assert [(p["service"], p["action"]) for p in json.loads(as_json.stdout)] == [
        (s, "unchanged") for s in SERVICES
    ]
    assert {s: env_file(config_tree, s).stat().st_mtime_ns for s in SERVICES} == before


def test_dry_run_writes_nothing_and_shows_what_would_change(
    envkeep: Envkeep, config_tree: Path
) -> None:
    first = envkeep("activate-all", "--env", "dev", "--dry-run", "--json")

    assert not [s for s in SERVICES if env_file(config_tree, s).exists()]
    planned = {p["service"]: p for p in json.loads(first.stdout)}
    assert {s: p["action"] for s, p in planned.items()} == dict.fromkeys(SERVICES, "create")
    assert sorted(planned["web"]["added"]) == sorted(EXPECTED["web"])

    quick_ok(envkeep, "activate-all", "--env", "dev")
    quick_ok(envkeep, "set", "PORT=9000", "NEW_NAME=1", "--env", "dev", "--service", "api")
    quick_ok(envkeep, "unset", "EXTRA_DEBUG", "--env", "dev", "--service", "api")
    written = env_file(config_tree, "api").read_bytes()

    second = envkeep("activate-all", "--env", "dev", "--dry-run")

    rows = summary(second)
    assert rows["api"][1] == "update"
    assert sorted(rows["api"][3:]) == ["+NEW_NAME", "-EXTRA_DEBUG", "~PORT"]
    assert rows["worker"][1:] == [
        "update",
        str(len(EXPECTED["worker"])),
        "~API_URL",
    ]  # it refers to ${api.PORT}
    assert rows["web"][1] == "unchanged"
    assert env_file(config_tree, "api").read_bytes() == written
    assert "would write 2 of 3" in second.stderr


def test_a_file_with_the_same_values_in_another_order_is_a_reformat_not_an_update(
    envkeep: Envkeep, config_tree: Path
) -> None:
    """As another store's (or an older envkeep's) file: the names in another order, its
    checksum right. Not an update with no change listed: a reformat, named as one."""
    quick_ok(envkeep, "activate-all", "--env", "dev")
    path = env_file(config_tree, "api")
    values = parse_dotenv(path.read_text(encoding="utf-8")).values
    body = render_dotenv(dict(reversed(values.items())))
    header = (
        HEADER.format(service="api").removeprefix("# ")
        + "\nDo not edit: change the store (envkeep set), then activate again.\n"
        + f"Checksum of the lines below: sha256:{hashlib.sha256(body.encode()).hexdigest()}"
    )
    path.write_text(render_dotenv({}, header=header) + body, encoding="utf-8")

    dry, table = envkeep.many(
        ("activate-all", "--env", "dev", "--dry-run", "--json"),
        ("activate-all", "--env", "dev", "--dry-run"),
    )

    planned = {p["service"]: p for p in json.loads(dry.stdout)}
    assert planned["api"]["action"] == "reformat"
    assert (planned["api"]["added"], planned["api"]["changed"], planned["api"]["removed"]) == (
        [],
        [],
        [],
    )
    assert {planned[s]["action"] for s in SERVICES if s != "api"} == {"unchanged"}
    assert summary(table)["api"][1:3] == ["reformat", str(len(values))]
    assert "same values, in a new order or quoting" in table.stdout
    quick_ok(envkeep, "activate-all", "--env", "dev")
    assert list(parse_dotenv(path.read_text(encoding="utf-8")).values) == sorted(values)


def test_an_env_file_envkeep_did_not_write_blocks_every_service_unless_force(
    envkeep: Envkeep, config_tree: Path
) -> None:
    foreign = env_file(config_tree, "web")
    foreign.write_text("HANDWRITTEN=1\n", encoding="utf-8")

    blocked = envkeep("activate-all", "--env", "dev")

    assert blocked.code != 0
    assert_one_line_error(blocked, "services/web/.env")
    assert foreign.read_text(encoding="utf-8") == "HANDWRITTEN=1\n"
    assert not env_file(config_tree, "api").exists()
    assert not env_file(config_tree, "worker").exists()

    forced = summary(envkeep("activate-all", "--env", "dev", "--force"))

    assert forced["web"][1] == "replace"
    assert (foreign.parent / ".env.bak").read_text(encoding="utf-8") == "HANDWRITTEN=1\n"
    assert parse_dotenv(foreign.read_text(encoding="utf-8")).values == EXPECTED["web"]
    assert all(env_file(config_tree, s).exists() for s in SERVICES)


def test_a_dry_run_with_a_foreign_env_file_fails_as_the_run_would(
    envkeep: Envkeep, config_tree: Path
) -> None:
    foreign = env_file(config_tree, "web")
    foreign.write_text("HANDWRITTEN=1\n", encoding="utf-8")

    table, as_json = envkeep.many(
        ("activate-all", "--env", "dev", "--dry-run"),
        ("activate-all", "--env", "dev", "--dry-run", "--json"),
    )

    assert table.code == as_json.code == 2, (table.describe(), as_json.describe())
    assert "blocked" in table.stdout
    assert "would write nothing" in table.stderr
    assert "would write 3 of 3" not in table.stderr
    planned = {p["service"]: p["action"] for p in json.loads(as_json.stdout)}
    assert planned["web"] == "blocked"
    assert foreign.read_text(encoding="utf-8") == "HANDWRITTEN=1\n"
    assert not env_file(config_tree, "api").exists()


def test_every_file_that_blocks_activation_is_named(envkeep: Envkeep, config_tree: Path) -> None:
    quick_ok(envkeep, "activate-all", "--env", "dev")
    edited = env_file(config_tree, "worker")
    edited.write_text(edited.read_text(encoding="utf-8") + "LOCAL_TWEAK=1\n", encoding="utf-8")
    for service in ("api", "web"):
        env_file(config_tree, service).write_text("HANDWRITTEN=1\n", encoding="utf-8")

    refused, dry = envkeep.many(
        ("activate-all", "--env", "dev"), ("activate-all", "--env", "dev", "--dry-run")
    )

    api, web, worker = (str(env_file(config_tree, s)) for s in ("api", "web", "worker"))
    for answer in (refused, dry):
        assert_one_line_error(
            answer,
            f"{worker} was edited since envkeep wrote it, and {api}, {web} were not written by"
            " envkeep; ",
        )
        assert answer.err_lines[1] == (
            "hint: keep the edits in the store (envkeep set NAME=VALUE --service worker), move"
            " the others away, or pass --force (each is then kept as a .env.bak backup)"
        )


def test_forcing_over_a_second_foreign_file_keeps_the_first_backup(
    envkeep: Envkeep, config_tree: Path
) -> None:
    foreign = env_file(config_tree, "web")
    foreign.write_text("HANDWRITTEN=1\n", encoding="utf-8")
    quick_ok(envkeep, "activate-all", "--env", "dev", "--force")
    foreign.write_text("HANDWRITTEN=2\n", encoding="utf-8")

    forced = envkeep("activate-all", "--env", "dev", "--force", "--json")

    assert forced.code == 0, forced.describe()
    planned = {p["service"]: p for p in json.loads(forced.stdout)}
    assert planned["web"]["action"] == "replace"
    assert planned["web"]["backup"] == str(foreign.parent / ".env.bak.1")
    assert (foreign.parent / ".env.bak").read_text(encoding="utf-8") == "HANDWRITTEN=1\n"
    assert (foreign.parent / ".env.bak.1").read_text(encoding="utf-8") == "HANDWRITTEN=2\n"
    assert parse_dotenv(foreign.read_text(encoding="utf-8")).values == EXPECTED["web"]


def test_a_hand_edited_env_file_blocks_every_service_unless_force(
    envkeep: Envkeep, config_tree: Path
) -> None:
    quick_ok(envkeep, "activate-all", "--env", "dev")
    quick_ok(envkeep, "set", "PORT=9000", "--env", "dev", "--service", "api")
    edited = env_file(config_tree, "web")
    hand_edit = edited.read_text(encoding="utf-8") + "LOCAL_TWEAK=1\n"
    edited.write_text(hand_edit, encoding="utf-8")
    api_before = env_file(config_tree, "api").read_bytes()

    blocked, dry, as_json = envkeep.many(
        ("activate-all", "--env", "dev"),
        ("activate-all", "--env", "dev", "--dry-run", "--json"),
        ("activate-all", "--env", "dev", "--json"),  # refused too, with the plan that blocked
    )

    assert_one_line_error(blocked, "services/web/.env was edited since envkeep wrote it")
    assert "--service web" in blocked.stderr
    for answer in (dry, as_json):
        assert answer.code == 2, answer.describe()
        planned = {p["service"]: p for p in json.loads(answer.stdout)}
        assert (planned["web"]["action"], planned["web"]["edited"]) == ("blocked", True)
        assert (planned["api"]["action"], planned["api"]["edited"]) == ("update", False)
    assert "nothing was written" in as_json.stderr
    assert edited.read_text(encoding="utf-8") == hand_edit
    assert env_file(config_tree, "api").read_bytes() == api_before  # all or nothing

    forced = summary(envkeep("activate-all", "--env", "dev", "--force"))

    assert forced["web"][1:3] == ["replace", str(len(EXPECTED["web"]))]
    assert (edited.parent / ".env.bak").read_text(encoding="utf-8") == hand_edit
    assert parse_dotenv(edited.read_text(encoding="utf-8")).values == EXPECTED["web"]
    assert (
        parse_dotenv(env_file(config_tree, "api").read_text(encoding="utf-8")).values["PORT"]
        == "9000"
    )
    again = summary(envkeep("activate-all", "--env", "dev"))
    assert {s: row[1] for s, row in again.items()} == dict.fromkeys(SERVICES, "unchanged")


def test_an_env_file_from_an_older_envkeep_without_a_checksum_is_still_updated(
    envkeep: Envkeep, config_tree: Path
) -> None:
    older = env_file(config_tree, "web")
    older.parent.mkdir(parents=True, exist_ok=True)
    older.write_text(
        HEADER.format(service="web") + "\n# Do not edit: the next activation replaces it.\nA=1\n",
        encoding="utf-8",
    )

    rows = summary(envkeep("activate-all", "--env", "dev"))

    assert rows["web"][1] == "update"
    assert parse_dotenv(older.read_text(encoding="utf-8")).values == EXPECTED["web"]
    assert not (older.parent / ".env.bak").exists()


@pytest.mark.skipif(shutil.which("git") is None, reason="needs git")
def test_activation_warns_when_git_would_commit_the_env_files(
    envkeep: Envkeep, config_tree: Path
) -> None:
    git(config_tree, "init", "-q")

    exposed = envkeep("activate-all", "--env", "dev", env=PLAIN_GIT)
    (config_tree / ".gitignore").write_text(".env\n.env.bak*\n", encoding="utf-8")
    ignored = envkeep("activate-all", "--env", "dev", env=PLAIN_GIT)
    git(config_tree, "add", "-f", "services/web/.env")
    tracked = envkeep("activate-all", "--env", "dev", env=PLAIN_GIT)

    assert exposed.code == ignored.code == tracked.code == 0, exposed.describe()
    warning = next(line for line in exposed.err_lines if line.startswith("warning: "))
    assert warning.startswith("warning: git would commit services/api/.env")
    assert "hint: add .env and .env.bak* to the project's .gitignore" in exposed.err_lines
    assert [line for line in ignored.err_lines if line.startswith("warning: ")] == [
        # web's literal `${AMOUNT}`, which python-dotenv expands (not a word of git)
        (
            "warning: python-dotenv would read PRICE_HINT otherwise than stored: no quoting in"
            " a dotenv file serves every reader for such a value"
        )
    ]
    assert "warning: git tracks services/web/.env: .env files hold secrets" in tracked.err_lines
    assert (
        "hint: untrack it: git rm --cached services/web/.env, and ignore .env files"
        in tracked.err_lines
    )


def test_a_validation_failure_in_one_service_writes_nothing_for_any_unless_no_validate(
    envkeep: Envkeep, config_tree: Path
) -> None:
    # set would refuse it by web's schema; written anyway, activate-all is the one under test
    quick_ok(envkeep, "set", "PUBLIC_URL=not a url", "--env", "dev", "-s", "web", "--no-validate")

    refused, as_json = envkeep.many(
        ("activate-all", "--env", "dev"), ("activate-all", "--env", "dev", "--json")
    )

    assert refused.code == 3
    assert_one_line_error(refused, "web.PUBLIC_URL")
    assert "not a url" not in refused.stderr
    # --json says the same on stdout, in the plan's shape: which service failed, and why
    assert as_json.code == 3, as_json.describe()
    planned = {p["service"]: p for p in json.loads(as_json.stdout)}
    assert {s: p["action"] for s, p in planned.items()} == {
        "api": "create",
        "worker": "create",
        "web": "invalid",
    }
    [problem] = planned["web"]["problems"]
    assert (problem["name"], problem["severity"], problem["layer"]) == (
        "PUBLIC_URL",
        "error",
        "service:web",
    )
    assert planned["api"]["problems"] == []
    assert "not a url" not in as_json.stdout + as_json.stderr
    assert as_json.stderr == refused.stderr
    assert not [s for s in SERVICES if env_file(config_tree, s).exists()]

    skipped = summary(envkeep("activate-all", "--env", "dev", "--no-validate"))

    assert set(skipped) == set(SERVICES)
    web = parse_dotenv(env_file(config_tree, "web").read_text(encoding="utf-8")).values
    assert web["PUBLIC_URL"] == "not a url"


def test_activation_parses_only_the_files_already_there_not_the_ones_it_renders(
    envkeep: Envkeep, config_tree: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # 150 services of 3,000 variables each parsed their own new text three times (the
    # plan, the VARIABLES column, the misread warnings): most of activate-all's 50 s.
    parsed: list[str] = []

    def counting(text: str, *, source: str | None = None, as_stored: bool = False) -> ParsedDotenv:
        parsed.append(text)
        return parse_dotenv(text, source=source, as_stored=as_stored)

    monkeypatch.setattr("envkeep.client.activation.parse_dotenv", counting)
    created = summary(quick_ok(envkeep, "activate-all", "--env", "dev"))
    unchanged = summary(quick_ok(envkeep, "activate-all", "--env", "dev"))
    assert parsed == []
    quick_ok(envkeep, "set", "LOG_LEVEL=debug", "--env", "dev", "--service", "worker")
    old = env_file(config_tree, "worker").read_text()
    updated = summary(quick_ok(envkeep, "activate-all", "--env", "dev"))

    assert parsed == [old]  # the file it replaces, to say what changed
    assert {s: row[1] for s, row in created.items()} == dict.fromkeys(SERVICES, "create")
    assert {s: row[2] for s, row in unchanged.items()} == {
        s: str(len(EXPECTED[s])) for s in SERVICES
    }
    assert updated["worker"][1:] == ["update", str(len(EXPECTED["worker"])), "~LOG_LEVEL"]
