"""`envkeep export --format dotenv|json|shell`: each format reads back to the same values."""

from __future__ import annotations

import json
import subprocess
from typing import TYPE_CHECKING

from envkeep.core.dotenv import parse_dotenv

from .conftest import SHARED_DEV, collect

if TYPE_CHECKING:
    from pathlib import Path

    from .conftest import Envkeep

# No `${` among them: that starts a reference, which resolution expands before export.
AWKWARD = {
    "SINGLE_QUOTES": "it's 'quoted'",
    "DOUBLE_QUOTES": 'say "hi" \\"escaped\\"',
    "SPACES": "  leading, inner  and trailing  ",
    "NEWLINES": "line one\nline two\n\nline four\n",
    "CRLF_AND_TAB": "a\r\nb\tc",
    "DOLLARS": "$HOME $PATH $(id) `id` $$ $",
    "BACKSLASHES": "C:\\path\\to\\n \\\\ \\",
    "HASHES": "#not-a-comment a #b",
    "UNICODE": "ünïcødé ✓ 日本語 🙂",
    "EMPTY": "",
    "EQUALS": "a=b==c",
}


def read_with_sh(script: Path, names: list[str]) -> dict[str, str]:
    """Each variable's value after a POSIX shell sources ``script``."""
    return {
        name: subprocess.run(
            ["sh", "-c", f'. "$1"; printf %s "${name}"', "sh", str(script)],
            capture_output=True,
            check=True,
        ).stdout.decode("utf-8")
        for name in names
    }


def test_export_formats_round_trip_awkward_values(
    envkeep: Envkeep, project: Path, tmp_path: Path
) -> None:
    envkeep.ok("set", *(f"{k}={v}" for k, v in AWKWARD.items()), "--env", "staging")

    results = collect(
        {f: envkeep.popen("export", "-e", "staging", "-f", f) for f in ("dotenv", "json", "shell")}
    )

    assert all(r.code == 0 for r in results.values()), results
    assert parse_dotenv(results["dotenv"].stdout).values == AWKWARD
    assert json.loads(results["json"].stdout) == AWKWARD
    script = tmp_path / "exported.sh"
    script.write_text(results["shell"].stdout, encoding="utf-8")
    assert read_with_sh(script, list(AWKWARD)) == AWKWARD


def test_values_no_dotenv_quoting_serves_every_reader_are_warned_of_by_name(
    envkeep: Envkeep, project: Path
) -> None:
    both_quotes = "abc def$HOME 'q' \"dq\" #notcomment"
    envkeep.ok("set", "JWT_SECRET", "--env", "dev", stdin=both_quotes + "\n")
    envkeep.ok("set", "PLAIN=it's fine", "--env", "dev")  # double quotes, no escape: agreed

    dotenv, as_json, activated = envkeep.many(
        ("export", "--env", "dev"),
        ("export", "--env", "dev", "--format", "json"),
        ("activate-all", "--env", "dev"),
    )

    warning = (
        "warning: node, python-dotenv, npm's dotenv and dotenvx would read JWT_SECRET otherwise"
        " than stored: such a value needs double quotes, whose escapes dotenv readers decode"
        " differently"
    )
    where = "hint: docs/quickstart.md §4 says which reader reads what; "
    assert dotenv.err_lines == [warning, where + "--format json holds any value as it is"]
    assert parse_dotenv(dotenv.stdout).values["JWT_SECRET"] == both_quotes
    assert as_json.err_lines == []
    assert activated.code == 0, activated.describe()
    assert activated.err_lines[-2:] == [warning, where + "envkeep run passes any value as it is"]
    assert all("dq" not in r.stderr for r in (dotenv, activated))  # names, never values


def test_export_resolves_the_service_scope_over_the_shared_scope(
    envkeep: Envkeep, seeded: Path
) -> None:
    api_json, shared_dotenv = envkeep.many(
        ("export", "--env", "dev", "--service", "api", "--format", "json"),
        ("export", "--env", "dev"),  # dotenv is the default format
    )

    assert json.loads(api_json.stdout) == SHARED_DEV | {"PORT": "8080"}
    assert parse_dotenv(shared_dotenv.stdout).values == SHARED_DEV


def test_export_shell_refuses_names_a_shell_cannot_hold(envkeep: Envkeep, project: Path) -> None:
    envkeep.ok("set", "my.dotted-name=1", "--env", "dev")

    results = collect(
        {f: envkeep.popen("export", "--env", "dev", "--format", f) for f in ("shell", "dotenv")}
    )

    assert results["shell"].code == 2
    assert "my.dotted-name" in results["shell"].err_lines[0]
    assert results["shell"].stdout == ""
    assert parse_dotenv(results["dotenv"].stdout).values == {"my.dotted-name": "1"}


def test_export_with_an_unknown_format_names_the_known_ones(envkeep: Envkeep, seeded: Path) -> None:
    result = envkeep("export", "--env", "dev", "--format", "no-such-format")

    assert result.code == 2
    assert "'no-such-format'" in result.err_lines[0]
    assert all(fmt in result.stderr for fmt in ("dotenv", "json", "shell"))


def test_export_lists_names_sorted_whatever_order_they_were_written_in(
    envkeep: Envkeep, project: Path
) -> None:
    """Either store gives the same text for the same values (the order they were written in,
    and the scope that set each name, differ from store to store)."""
    envkeep.ok("set", "ZED=1", "MID=2", "--env", "dev")
    envkeep.ok("set", "ALPHA=3", "MID=4", "--env", "dev", "--service", "api")

    results = collect(
        {
            f: envkeep.popen("export", "--env", "dev", "--service", "api", "--format", f)
            for f in ("dotenv", "shell", "docker", "github", "gitlab")
        }
    )

    expected = ["ALPHA", "MID", "ZED"]
    assert all(r.code == 0 for r in results.values()), results
    assert list(parse_dotenv(results["dotenv"].stdout).values) == expected
    for fmt in ("shell", "docker", "github", "gitlab"):
        lines = results[fmt].stdout.splitlines()
        assert [line.removeprefix("export ").split("=")[0] for line in lines] == expected, fmt


def test_github_export_appended_to_the_env_file_masks_each_value_in_the_jobs_log(
    envkeep: Envkeep, project: Path, tmp_path: Path
) -> None:
    envkeep.ok("set", "TOKEN=s3cr%t-value", "CERT=line one\nline two", "ON=1", "--env", "dev")
    github_env = tmp_path / "github_env"
    github_env.write_text("EARLIER=step\n", encoding="utf-8")  # what an earlier step wrote
    in_job = {"GITHUB_ACTIONS": "true"}

    added = envkeep(
        "export", "--env", "dev", "-f", "github", "-o", str(github_env), "--append", env=in_job
    )
    bare = envkeep("export", "--env", "dev", "-f", "github", env=in_job)
    outside = envkeep("export", "--env", "dev", "-f", "github", "-o", str(tmp_path / "x"))

    assert added.code == 0, added.describe()
    assert added.stdout.splitlines() == [  # sorted by name, as exported; ON=1 is too short
        "::add-mask::line one",
        "::add-mask::line two",
        "::add-mask::s3cr%25t-value",
    ]
    text = github_env.read_text(encoding="utf-8")
    assert text.startswith("EARLIER=step\n")
    assert "TOKEN=s3cr%t-value\n" in text
    assert "added 3 variables to" in added.stderr
    assert bare.code == 0
    assert "does not mask these values" in bare.stderr
    assert outside.code == 0
    assert outside.stdout == ""  # outside a job: never a value on the terminal


def test_append_to_a_file_without_a_last_newline_adds_one_first(
    envkeep: Envkeep, project: Path, tmp_path: Path
) -> None:
    envkeep.ok("set", "TOKEN=abc", "--env", "dev")
    github_env = tmp_path / "github_env"
    github_env.write_bytes(b"EARLIER=1")  # as `printf 'EARLIER=1' >> "$GITHUB_ENV"` leaves it

    added = envkeep("export", "--env", "dev", "-f", "dotenv", "-o", str(github_env), "--append")

    assert added.code == 0, added.describe()
    assert github_env.read_text(encoding="utf-8").splitlines() == ["EARLIER=1", "TOKEN=abc"]


def test_append_needs_a_file_and_is_no_replace(envkeep: Envkeep, project: Path) -> None:
    alone, forced, document = envkeep.many(
        ("export", "--env", "dev", "--append"),
        ("export", "--env", "dev", "-o", "out.env", "--append", "--force"),
        ("export", "--env", "dev", "-f", "json", "-o", "out.json", "--append"),
    )

    assert alone.code == forced.code == document.code == 2
    assert "a json export is one document" in document.stderr
    assert 'envkeep export --format github -o "$GITHUB_ENV" --append' in alone.stderr
    assert "which --force would replace" in forced.stderr
