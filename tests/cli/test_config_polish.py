"""Polish: shell completion, `--json` on every command that has it, NO_COLOR on a terminal,
and no prompt ever in CI."""

from __future__ import annotations

import json
import re
import subprocess
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from .config_fixtures import (
    STORED,
    assert_one_line_error,
    config_template_fixture,  # noqa: F401 - a fixture, requested by name
    config_tree_fixture,  # noqa: F401 - a fixture, requested by name
    on_terminal,
    run_all,
    stored_in,
)
from .conftest import ENVKEEP, Result, collect, copy_of, quick_ok, server_only

if TYPE_CHECKING:
    from .conftest import Envkeep, Homes, Template

CLI_REFERENCE = Path(__file__).parents[2] / "docs" / "cli.md"


def test_completion_install_writes_the_script_and_one_rc_line_however_often_it_runs(
    envkeep: Envkeep, tmp_path: Path
) -> None:
    home = tmp_path / "user"
    home.mkdir()
    (home / ".bashrc").write_text("alias ll='ls -l'\n", encoding="utf-8")
    user = {"HOME": str(home), "SHELL": "/bin/zsh"}  # --shell wins over $SHELL

    started = {
        "first": envkeep.popen("completion", "install", "--shell", "bash", env=user),
        "shown": envkeep.popen("completion", "show", "--shell", "bash"),
    }
    first, shown = collect(started).values()
    second = envkeep("completion", "install", "--shell", "bash", env=user)

    assert (first.code, second.code, shown.code) == (0, 0, 0), first.describe()
    script = home / ".bash_completions" / "envkeep.sh"
    assert script.read_text(encoding="utf-8") == shown.stdout
    assert "_ENVKEEP_COMPLETE" in shown.stdout
    rc_lines = (home / ".bashrc").read_text(encoding="utf-8").splitlines()
    assert rc_lines[0] == "alias ll='ls -l'"
    assert [line for line in rc_lines if str(script) in line] == [f"source '{script}'"]


def test_completion_show_prints_the_fish_script(envkeep: Envkeep) -> None:
    result = envkeep("completion", "show", "--shell", "fish")

    assert result.code == 0, result.describe()
    assert "complete --command envkeep" in result.stdout
    assert "_ENVKEEP_COMPLETE=complete_fish" in result.stdout


def _completions(envkeep: Envkeep, line: str) -> list[str]:
    """What bash's completion gets for the last word of ``line``."""
    words = line.split(" ")
    asked = {"_ENVKEEP_COMPLETE": "complete_bash", "COMP_WORDS": line}
    done = envkeep(*words[1:-1], env={**asked, "COMP_CWORD": str(len(words) - 1)})
    assert done.code == 0, done.describe()
    return done.stdout.split()


def test_completion_offers_the_projects_environments_services_and_formats(
    envkeep: Envkeep, config_tree: Path
) -> None:
    assert _completions(envkeep, "envkeep get --env ") == ["dev", "staging", "prod"]
    assert _completions(envkeep, "envkeep list -e st") == ["staging"]
    assert sorted(_completions(envkeep, "envkeep list --service ")) == [
        "-",
        "api",
        "web",
        "worker",
    ]
    assert _completions(envkeep, "envkeep export --format d") == ["dotenv", "docker"]
    assert _completions(envkeep, "envkeep audit export --format c") == ["csv"]


def test_completion_offers_environments_services_and_roles_where_a_command_takes_one(
    envkeep: Envkeep, config_tree: Path
) -> None:
    assert _completions(envkeep, "envkeep env delete p") == ["prod"]
    assert _completions(envkeep, "envkeep env diff staging ") == ["dev", "staging", "prod"]
    assert _completions(envkeep, "envkeep env rotate-key d") == ["dev"]
    assert _completions(envkeep, "envkeep schema show w") == ["web", "worker"]
    assert sorted(_completions(envkeep, "envkeep schema show ")) == ["api", "web", "worker"]
    assert _completions(envkeep, "envkeep service remove a") == ["api"]
    assert _completions(envkeep, "envkeep member grant bob@x.io w") == ["write"]


def test_completion_covers_promote_import_completion_and_template_names(
    envkeep: Envkeep, config_tree: Path
) -> None:
    every_env = ["dev", "staging", "prod"]
    assert _completions(envkeep, "envkeep promote --from ") == every_env
    assert _completions(envkeep, "envkeep promote --from dev --to p") == ["prod"]
    assert _completions(envkeep, "envkeep import x.env --on-conflict ") == [
        "fail",
        "skip",
        "overwrite",
    ]
    assert _completions(envkeep, "envkeep completion show --shell ") == ["bash", "zsh", "fish"]
    user_templates = envkeep.home / "templates"
    user_templates.mkdir(parents=True, exist_ok=True)
    (user_templates / "redis.env").write_text("REDIS_URL=redis://localhost\n", encoding="utf-8")
    offered = _completions(envkeep, "envkeep template apply ")
    assert "redis" in offered
    assert "postgres" in offered  # the project's own
    assert _completions(envkeep, "envkeep template show re") == ["redis"]


@pytest.mark.parametrize(
    "line",
    [
        "envkeep template apply postgres --service ",
        "envkeep template detach postgres --service ",
        "envkeep schema init --service ",
        "envkeep env diff dev prod --service ",
    ],
)
def test_completion_does_not_offer_the_shared_scope_where_the_command_refuses_it(
    envkeep: Envkeep, config_tree: Path, line: str
) -> None:
    assert sorted(_completions(envkeep, line)) == ["api", "web", "worker"]


# -- --json -----------------------------------------------------------------------------------

JSON_COMMANDS: dict[str, tuple[str, ...]] = {
    "activate-all": ("activate-all", "--env", "dev", "--dry-run", "--json"),
    "env diff": ("env", "diff", "staging", "prod", "--json"),
    "env list": ("env", "list", "--json"),
    "get": ("get", "DATABASE_URL", "--env", "dev", "--service", "api", "--json"),
    "explain": ("explain", "DATABASE_URL", "--env", "dev", "--service", "api", "--json"),
    "history": ("history", "PORT", "--env", "dev", "--service", "api", "--json"),
    "lift": ("lift", "PORT", "--env", "dev", "--dry-run", "--json"),
    "identity show": ("identity", "show", "--json"),
    "list": ("list", "--env", "dev", "--service", "web", "--json"),
    "project list": ("project", "list", "--json"),
    "schema show": ("schema", "show", "api", "--json"),
    "service list": ("service", "list", "--json"),
    "template list": ("template", "list", "--json"),
    "template show": ("template", "show", "postgres", "--json"),
    "validate": ("validate", "--env", "dev", "--all", "--json"),
    "validate-service": ("validate-service", "worker", "--env", "dev", "--json"),
    "whoami": ("whoami", "--json"),
    "audit": ("audit", "--json", "--limit", "5"),
}
# A member besides the caller, whose sessions `member sessions` lists.
JSON_MEMBER = f"json-{uuid.uuid4().hex[:12]}@example.com"
# Members, tokens, sessions and workspaces exist on a team server only.
SERVER_JSON_COMMANDS: dict[str, tuple[str, ...]] = {
    "member list": ("member", "list", "--json"),
    "member sessions": ("member", "sessions", JSON_MEMBER, "--json"),
    "session list": ("session", "list", "--json"),
    "token list": ("token", "list", "--json"),
    "workspace list": ("workspace", "list", "--json"),
    "token create": ("token", "create", "ci-json", "--project", "shop", "--json"),
}


def commands_with_json() -> set[str]:
    """Every command whose --help (docs/cli.md, generated) offers --json."""
    sections = re.split(r"^## envkeep ?", CLI_REFERENCE.read_text(encoding="utf-8"), flags=re.M)
    return {s.split("\n", 1)[0] for s in sections[1:] if re.search(r"^\s+--json\s", s, re.M)}


@pytest.fixture(scope="module")
def json_outputs(
    tmp_path_factory: pytest.TempPathFactory, config_template: Template, homes: Homes
) -> dict[str, Result]:
    envkeep = copy_of(config_template, tmp_path_factory.mktemp("config-json"))
    if homes.server is None:
        return run_all(envkeep, {}, JSON_COMMANDS)
    quick_ok(envkeep, "token", "create", "ci", "--project", "shop")  # something to list
    code = quick_ok(envkeep, "member", "invite", JSON_MEMBER).stdout.strip()
    _join(homes, tmp_path_factory.mktemp("json-member"), code)
    return run_all(envkeep, {}, JSON_COMMANDS | SERVER_JSON_COMMANDS)


def _join(homes: Homes, home: Path, code: str) -> None:
    """JSON_MEMBER joins the caller's workspace with ``code``, from ``home``."""
    from envkeep.client.accounts import join
    from tests.repeated_work import fixture_joins

    from .accounts import PASSPHRASE, settings_for

    assert homes.server is not None
    with fixture_joins():
        join(settings_for(home), homes.server.url, code, email=JSON_MEMBER, passphrase=PASSPHRASE)


# Commands whose --json needs what no shared project here has; each is tested where it is.
ELSEWHERE_JSON_COMMANDS = {
    # a project on the embedded store and a login to a server: tests/cli/test_project_move.py
    "project move-to",
}


def test_every_command_with_json_is_covered_here() -> None:
    covered = set(JSON_COMMANDS) | set(SERVER_JSON_COMMANDS) | ELSEWHERE_JSON_COMMANDS
    assert commands_with_json() == covered


@pytest.mark.parametrize("command", [*JSON_COMMANDS, *SERVER_JSON_COMMANDS])
def test_json_output_is_one_json_document(
    json_outputs: dict[str, Result], command: str, homes: Homes
) -> None:
    if command in SERVER_JSON_COMMANDS:
        server_only(homes, "members, sessions, tokens and workspaces live on a server")
    result = json_outputs[command]

    assert result.code == 0, result.describe()
    parsed = json.loads(result.stdout)
    assert isinstance(parsed, list | dict)
    assert parsed  # each of these has something to say about the project
    assert "Traceback" not in result.stderr


# -- colour and prompts ---------------------------------------------------------------------

STYLED = [  # commands that print tables (with a bold header on a terminal)
    ("list", "--env", "dev", "--service", "api"),
    ("validate", "--env", "dev", "--all"),
    ("env", "diff", "staging", "prod"),
    ("schema", "show", "api"),
    ("explain", "DB_HOST", "--env", "dev", "--service", "api"),
]


def test_no_color_output_on_a_terminal_contains_no_ansi_escapes(
    envkeep: Envkeep, config_tree: Path
) -> None:
    with ThreadPoolExecutor(max_workers=len(STYLED) + 1) as pool:
        plain = list(pool.map(lambda a: on_terminal(envkeep, *a, env={"NO_COLOR": "1"}), STYLED))
        styled = pool.submit(on_terminal, envkeep, *STYLED[0]).result()

    assert b"\x1b[" in styled[1]  # the terminal is real: without NO_COLOR there is styling
    for args, (code, written) in zip(STYLED, plain, strict=True):
        assert code == 0, (args, written)
        assert b"NAME" in written or b"LAYER" in written or b"SCOPE" in written, written
        assert b"\x1b" not in written, (args, written)


def without_answering(envkeep: Envkeep, *args: str, timeout: float = 20) -> Result:
    """Run with stdin an open pipe nobody writes to: a prompt would wait until the timeout."""
    process = subprocess.Popen(
        [*ENVKEEP, *args],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd=envkeep.cwd,
        env=envkeep.environ(),
    )
    try:
        process.wait(timeout=timeout)
    finally:
        process.kill()
        out, err = process.communicate()
    return Result(process.returncode, out.decode(), err.decode())


def test_in_ci_without_a_terminal_no_command_waits_for_an_answer(
    envkeep: Envkeep, config_tree: Path
) -> None:
    quick_ok(envkeep, "env", "edit", "prod", "--protect")
    commands = [
        ("env", "delete", "staging"),
        ("promote", "--from", "staging", "--to", "prod"),
        ("set", "DB_HOST=elsewhere", "--env", "prod"),
        ("unset", "OLD_FLAG", "--env", "prod"),
    ]

    with ThreadPoolExecutor(max_workers=len(commands)) as pool:
        results = list(pool.map(lambda a: without_answering(envkeep, *a), commands))

    for args, result in zip(commands, results, strict=True):
        assert result.code == 2, (args, result.describe())
        assert_one_line_error(result)
        assert "--yes" in result.stderr
    envs = json.loads(quick_ok(envkeep, "env", "list", "--json").stdout)
    assert [e["name"] for e in envs] == ["dev", "staging", "prod"]
    assert stored_in(envkeep, "prod") == STORED["prod"]["shared"]


def test_ci_means_no_prompt_even_on_a_terminal(envkeep: Envkeep, config_tree: Path) -> None:
    code, written = on_terminal(envkeep, "env", "delete", "staging", stdin_terminal=True)

    assert code == 2, written
    assert b"--yes" in written
    envs = json.loads(quick_ok(envkeep, "env", "list", "--json").stdout)
    assert "staging" in [e["name"] for e in envs]


def test_init_in_ci_names_the_services_it_found_without_asking(
    envkeep: Envkeep, workdir: Path
) -> None:
    (workdir / "services" / "api" / "Dockerfile").write_text("FROM scratch\n", encoding="utf-8")

    result = without_answering(envkeep, "init", "shop")

    assert result.code == 0, result.describe()
    assert "api" in result.stderr
    assert "--yes" in result.stderr
    assert "services" not in (workdir / "envkeep.toml").read_text(encoding="utf-8")
    assert json.loads(quick_ok(envkeep, "service", "list", "--json").stdout) == []


@pytest.mark.parametrize(
    ("command", "says"),
    [
        (("encrypt",), "(default: SOURCE.enc; - for stdout)"),
        (("decrypt",), "(default: SOURCE without .enc, or stdout for stdin; - for stdout)"),
        (("schema", "init"), "(default: the service's .env.example; - for stdout)"),
        (("service", "set"), "Its .env.example (schema), relative to the project root."),
    ],
)
def test_help_names_each_default_and_only_what_applies_to_the_command(
    envkeep: Envkeep, command: tuple[str, ...], says: str
) -> None:
    shown = envkeep(*command, "--help")

    assert shown.code == 0, shown.describe()
    text = " ".join(shown.stdout.split())  # as one line, however the help was wrapped
    assert says in text
    assert "on add" not in text
