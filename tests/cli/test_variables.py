"""`envkeep set|get|unset|list|history|rollback`.

Commands that only read run as one batch, at once, on a module-wide copy of the ``seeded``
project (dev: DATABASE_URL, LOG_LEVEL, PORT=3000 shared; PORT=8080 for api); tests that write
get their own copy.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

import pytest

from envkeep.cli.output import MASK

from .conftest import SHARED_DEV, Envkeep, Result, Template, copy_of, quick_ok

if TYPE_CHECKING:
    from pathlib import Path

# Quotes, spaces, newlines, CR, `$`, backslashes, `=`, `#`, and non-ASCII text (no `${`: that
# starts a reference, which resolution expands).
AWKWARD = 'it\'s "quoted" $HOME `id` \\n\\\\ a=b #no-comment\r\n  second line\ttab ünï ✓'

# Set in staging before the reads: values a table could mangle (markup, a trailing backslash,
# more than the table's width). No spaces, so each is one whitespace-separated column.
LONG_URL = "postgres://shop:s3cret@db.internal.example.com:5432/shop?" + "x" * 120
TRICKY = {
    "LONG_URL": LONG_URL,
    "MARKUP": "[red]x[/red]",
    "CLOSE": "[/]",
    "BACKSLASH": "c:\\d\\[x]\\",
}

# Set in prod before the reads: a reference to nothing, beside a plain value.
BESIDE_BROKEN = {"FINE": "ok", "BROKEN": "${NOT_SET_ANYWHERE}"}

READS: dict[str, tuple[str, ...]] = {
    "get shared": ("get", "DATABASE_URL", "--env", "dev"),
    "get api PORT": ("get", "PORT", "--env", "dev", "--service", "api"),
    "get worker PORT": ("get", "PORT", "--env", "dev", "--service", "worker"),
    "get default env": ("get", "LOG_LEVEL"),
    "list": ("list", "--env", "dev", "--service", "api"),
    "list reveal": ("list", "--env", "dev", "--service", "api", "--reveal"),
    "list json": ("list", "--env", "dev", "--service", "api", "--json"),
    "list json reveal": ("list", "--env", "dev", "--service", "api", "--json", "--reveal"),
    "list json shared": ("list", "--env", "dev", "--json"),
    "history": ("history", "DATABASE_URL", "--env", "dev"),
    "history reveal": ("history", "DATABASE_URL", "--env", "dev", "--reveal"),
    "history json": ("history", "PORT", "--env", "dev", "-s", "api", "--json"),
    "list tricky": ("list", "--env", "staging", "--reveal"),
    "history tricky": ("history", "LONG_URL", "--env", "staging", "--reveal"),
    "get beside broken": ("get", "FINE", "--env", "prod"),
}


@dataclass(frozen=True)
class Reads:
    results: dict[str, Result]
    author: str  # who wrote the values: user@local, or the account's email on a server

    def __getitem__(self, key: str) -> Result:
        """The result of READS[key], which must have succeeded."""
        result = self.results[key]
        assert result.code == 0, f"envkeep {' '.join(READS[key])}: {result.describe()}"
        return result


@pytest.fixture(scope="module")
def reads(tmp_path_factory: pytest.TempPathFactory, seeded_template: Template) -> Reads:
    runner = copy_of(seeded_template, tmp_path_factory.mktemp("reads"))
    runner.ok("set", *(f"{k}={v}" for k, v in TRICKY.items()), "--env", "staging")
    runner.ok("set", *(f"{k}={v}" for k, v in BESIDE_BROKEN.items()), "--env", "prod")
    author = json.loads(quick_ok(runner, "whoami", "--json").stdout)["email"]
    return Reads(dict(zip(READS, runner.many(*READS.values()), strict=True)), author)


def as_json(result: Result) -> list[dict[str, Any]]:
    data = json.loads(result.stdout)
    assert isinstance(data, list)
    return data


def test_get_prints_the_value_alone(reads: Reads) -> None:
    assert reads["get shared"].stdout == "postgres://db/shop\n"


def test_service_scope_overrides_shared_scope_in_get(reads: Reads) -> None:
    assert reads["get api PORT"].stdout == "8080\n"


def test_a_service_without_its_own_value_sees_the_shared_value(reads: Reads) -> None:
    assert reads["get worker PORT"].stdout == "3000\n"


def test_get_uses_the_default_environment_when_none_is_given(reads: Reads) -> None:
    assert reads["get default env"].stdout == "info\n"


def test_list_masks_values_unless_reveal(reads: Reads) -> None:
    masked, revealed = reads["list"].stdout, reads["list reveal"].stdout

    for value in ("postgres://db/shop", "8080", "3000", "info"):
        assert value not in masked
        assert value in revealed
    assert masked.count(MASK) == 4
    assert MASK not in revealed
    for name in ("DATABASE_URL", "LOG_LEVEL", "PORT", "shared", "api"):
        assert name in masked


def test_list_json_has_name_scope_version_time_and_value_only_with_reveal(
    reads: Reads,
) -> None:
    masked, revealed = as_json(reads["list json"]), as_json(reads["list json reveal"])

    assert [(v["name"], v["scope"], v["version"]) for v in masked] == [
        ("DATABASE_URL", "shared", 1),
        ("LOG_LEVEL", "shared", 1),
        ("PORT", "shared", 1),
        ("PORT", "api", 1),
    ]
    assert all("value" not in v for v in masked)
    assert all(datetime.fromisoformat(v["updated_at"]) for v in masked)
    assert {(v["scope"], v["name"]): v["value"] for v in revealed} == {
        ("shared", "DATABASE_URL"): "postgres://db/shop",
        ("shared", "LOG_LEVEL"): "info",
        ("shared", "PORT"): "3000",
        ("api", "PORT"): "8080",
    }


def test_list_of_a_service_marks_the_shared_value_its_own_scope_overrides(reads: Reads) -> None:
    """PORT is set in both scopes: the api's wins (as `explain` shows with its `*`)."""
    listed = as_json(reads["list json"])
    table = {tuple(line.split()[::2][:2]): line for line in reads["list"].stdout.splitlines()[1:]}

    assert {(v["scope"], v["name"]): v["overridden_by"] for v in listed} == {
        ("shared", "DATABASE_URL"): None,
        ("shared", "LOG_LEVEL"): None,
        ("shared", "PORT"): "api",
        ("api", "PORT"): None,
    }
    assert "shared (overridden by api)" in table["PORT", "shared"]
    assert "overridden" not in table["PORT", "api"]
    assert "overridden" not in table["LOG_LEVEL", "shared"]
    assert all(v["overridden_by"] is None for v in as_json(reads["list json shared"]))


def test_list_without_service_shows_the_shared_scope_only(reads: Reads) -> None:
    listed = as_json(reads["list json shared"])

    assert {v["scope"] for v in listed} == {"shared"}
    assert [v["name"] for v in listed] == sorted(SHARED_DEV)


def test_history_masks_values_unless_reveal(reads: Reads) -> None:
    masked, revealed = reads["history"].stdout, reads["history reveal"].stdout

    assert "postgres://db/shop" not in masked
    assert MASK in masked
    assert "postgres://db/shop" in revealed
    assert reads.author in masked


def test_history_json_has_version_author_and_iso8601_utc_time(reads: Reads) -> None:
    history = as_json(reads["history json"])

    assert [(h["version"], h["deleted"]) for h in history] == [(1, False)]
    assert "value" not in history[0]
    assert history[0]["author"] == reads.author
    stamp = history[0]["created_at"]
    assert "T" in stamp, f"not ISO 8601: {stamp!r}"
    assert datetime.fromisoformat(stamp).utcoffset() is not None, f"no time zone: {stamp!r}"


def test_reveal_shows_a_long_value_whole_when_output_is_not_a_terminal(
    reads: Reads,
) -> None:
    # Piped into grep, awk or a file, a revealed value must not be cut to the table's width.
    assert LONG_URL in reads["list tricky"].stdout, reads["list tricky"].stdout
    assert LONG_URL in reads["history tricky"].stdout, reads["history tricky"].stdout


def test_reveal_shows_markup_and_backslashes_verbatim(reads: Reads) -> None:
    rows = [line.split() for line in reads["list tricky"].stdout.splitlines()[1:]]
    shown = {row[0]: row[1] for row in rows}

    assert {name: shown.get(name) for name in ("MARKUP", "CLOSE", "BACKSLASH")} == {
        name: TRICKY[name] for name in ("MARKUP", "CLOSE", "BACKSLASH")
    }


def test_get_is_not_blocked_by_a_broken_reference_in_another_variable(reads: Reads) -> None:
    # FINE references nothing; BROKEN's dangling reference is BROKEN's problem alone.
    assert reads["get beside broken"].stdout == "ok\n"


# -- commands that write -----------------------------------------------------------------


def test_awkward_values_come_back_from_get_byte_for_byte(envkeep: Envkeep, seeded: Path) -> None:
    envkeep.ok("set", f"AWKWARD={AWKWARD}", "URL=a=b=c", "EMPTY=", "--env", "staging")

    got = envkeep.many(*(("get", n, "--env", "staging") for n in ("AWKWARD", "URL", "EMPTY")))

    assert [(r.code, r.stdout) for r in got] == [(0, AWKWARD + "\n"), (0, "a=b=c\n"), (0, "\n")]


def test_an_empty_list_says_which_scope_it_looked_in(envkeep: Envkeep, seeded: Path) -> None:
    envkeep.ok("set", "ONLY_API=1", "--env", "staging", "--service", "api")

    shared = envkeep("list", "--env", "staging", "--service", "-")
    worker = envkeep("list", "--env", "staging", "--service", "worker")

    assert shared.err_lines == [
        "no shared variables in staging; a service's own are listed with --service NAME"
    ]
    assert worker.err_lines == ["no variables in staging for service worker yet"]


def test_set_again_makes_a_new_version(envkeep: Envkeep, seeded: Path) -> None:
    envkeep.ok("set", "LOG_LEVEL=debug", "--env", "dev")

    listed = as_json(envkeep.ok("list", "--env", "dev", "--json", "--reveal"))
    found = {v["name"]: v for v in listed}
    assert (found["LOG_LEVEL"]["version"], found["LOG_LEVEL"]["value"]) == (2, "debug")
    assert found["DATABASE_URL"]["version"] == 1


def test_one_name_alone_takes_its_value_from_stdin_not_the_command_line(
    envkeep: Envkeep, seeded: Path
) -> None:
    secret = "s3cr3t with spaces & $ign\nand a second line"

    done = envkeep("set", "API_TOKEN", "--env", "dev", stdin=secret + "\n")
    two = envkeep("set", "A", "B", "--env", "dev")

    assert done.code == 0, done.describe()
    assert envkeep.ok("get", "API_TOKEN", "--env", "dev").stdout == secret + "\n"
    assert two.code == 2  # several names: each needs its '=' (stdin holds one value)


def test_a_name_missing_from_one_scope_points_to_the_scopes_that_set_it(
    envkeep: Envkeep, seeded: Path
) -> None:
    envkeep.ok("set", "QUEUE=jobs", "--env", "dev", "--service", "worker")

    in_shared, in_api, nowhere = envkeep.many(
        ("get", "QUEUE", "--env", "dev"),
        ("unset", "DATABASE_URL", "--env", "dev", "--service", "api"),
        ("get", "NOWHERE", "--env", "dev"),
    )

    assert in_shared.code == 1, in_shared.describe()
    assert in_shared.err_lines[1] == "hint: it is set in service 'worker': use --service worker"
    assert in_api.code == 1, in_api.describe()
    assert in_api.err_lines[1] == "hint: it is set in the shared scope: leave out --service"
    assert nowhere.err_lines[1] == "hint: set it with: envkeep set NOWHERE=VALUE --env dev"


def test_unset_removes_the_variable_and_keeps_the_others(envkeep: Envkeep, seeded: Path) -> None:
    envkeep.ok("unset", "LOG_LEVEL", "--env", "dev")

    listed, got, again = envkeep.many(
        ("list", "--env", "dev", "--json"), ("get", "LOG_LEVEL"), ("unset", "LOG_LEVEL")
    )
    assert [v["name"] for v in as_json(listed)] == ["DATABASE_URL", "PORT"]
    assert got.code == again.code == 1
    # Said deleted, with the way back (no close name: LOG_LEVEL was no typo).
    assert got.err_lines == [
        "error: variable 'LOG_LEVEL' was deleted from the shared scope of 'dev' (version 2)",
        (
            "hint: its versions: envkeep history LOG_LEVEL --env dev; bring one back with:"
            " envkeep rollback LOG_LEVEL --to N --env dev"
        ),
    ]
    assert (
        again.err_lines[1]
        == "hint: nothing to unset; its versions: envkeep history LOG_LEVEL --env dev"
    )


def test_rollback_restores_an_old_value_as_a_new_version(envkeep: Envkeep, seeded: Path) -> None:
    envkeep.ok("set", "DATABASE_URL=postgres://db/shop2", "--env", "dev")

    envkeep.ok("rollback", "DATABASE_URL", "--env", "dev", "--to", "1")

    got, history, table = envkeep.many(
        ("get", "DATABASE_URL", "--env", "dev"),
        ("history", "DATABASE_URL", "--env", "dev", "--json", "--reveal"),
        ("history", "DATABASE_URL", "--env", "dev"),
    )
    assert got.stdout == "postgres://db/shop\n"
    assert [(h["version"], h["value"], h["deleted"], h["same_as"]) for h in as_json(history)] == [
        (1, "postgres://db/shop", False, None),
        (2, "postgres://db/shop2", False, None),
        (3, "postgres://db/shop", False, 1),  # told apart from a change: v1's value back
    ]
    assert table.stdout.splitlines()[0].split() == ["VERSION", "VALUE", "AUTHOR", "TIME", "NOTE"]
    assert table.stdout.splitlines()[3].rstrip().endswith("the value of v1 again"), table.stdout


def test_rollback_to_the_value_held_now_writes_no_version(envkeep: Envkeep, seeded: Path) -> None:
    envkeep.ok("set", "DATABASE_URL=postgres://db/shop2", "--env", "dev")
    envkeep.ok("set", "DATABASE_URL=postgres://db/shop", "--env", "dev")

    done = envkeep.ok("rollback", "DATABASE_URL", "--env", "dev", "--to", "1")

    assert "has the value of version 1 already (it is version 3" in done.stderr
    assert "nothing written" in done.stderr
    history = envkeep.ok("history", "DATABASE_URL", "--env", "dev", "--json")
    assert [h["version"] for h in as_json(history)] == [1, 2, 3]


def test_rollback_to_a_version_that_does_not_exist_hints_at_the_same_scopes_history(
    envkeep: Envkeep, seeded: Path
) -> None:
    result = envkeep("rollback", "PORT", "--env", "dev", "--service", "api", "--to", "9")

    assert result.code == 1, result.describe()
    assert result.err_lines == [
        "error: 'PORT' has no version 9 (versions 1-1)",
        "hint: see them with: envkeep history PORT --env dev --service api",
    ]


def test_rollback_brings_back_an_unset_variable(envkeep: Envkeep, seeded: Path) -> None:
    envkeep.ok("unset", "PORT", "--env", "dev", "--service", "api")

    envkeep.ok("rollback", "PORT", "--env", "dev", "--service", "api", "--to", "1")

    got, history = envkeep.many(
        ("get", "PORT", "--env", "dev", "--service", "api"),
        ("history", "PORT", "--env", "dev", "--service", "api", "--json"),
    )
    assert got.stdout == "8080\n"
    assert [(h["version"], h["deleted"]) for h in as_json(history)] == [
        (1, False),
        (2, True),
        (3, False),
    ]
