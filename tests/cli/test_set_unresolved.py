"""A value written with a `${...}` that will not resolve (a service or a name that does not
exist, a cycle) is written, with a warning naming where it fails and why: what it refers to
may be set next, but a typo would otherwise surface only when `run` fails."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from .config_fixtures import assert_one_line_error, editor_env
from .conftest import quick_ok

if TYPE_CHECKING:
    from pathlib import Path

    from .conftest import Envkeep


def _warnings(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if line.startswith("warning: ")]


def _stored(envkeep: Envkeep, service: str | None) -> dict[str, str]:
    where = ["--service", service] if service else ["--service", "-"]
    listed = json.loads(quick_ok(envkeep, "list", "--reveal", "--json", *where).stdout)
    return {v["name"]: v["value"] for v in listed}


def test_a_reference_to_a_service_that_does_not_exist_is_written_with_a_warning(
    envkeep: Envkeep, project: Path
) -> None:
    written = envkeep.ok("set", "DB_PORT=${nope.PORT}", "--service", "api")

    assert _warnings(written.stderr) == [
        (
            "warning: api.DB_PORT does not resolve: DB_PORT -> nope.PORT: 'nope.PORT' is not set,"
            " and there is no service 'nope'; export and run will fail until it does"
        )
    ]
    assert _stored(envkeep, "api")["DB_PORT"] == "${nope.PORT}"


def test_a_shell_style_fallback_is_pointed_to_envkeep_s_own(
    envkeep: Envkeep, project: Path
) -> None:
    """`${PORT-8080}` names a variable "PORT-8080" (names may hold '-'): the warning says how
    a fallback is written."""
    written = envkeep.ok("set", "LISTEN=${PORT-8080}", "--service", "api")

    assert _warnings(written.stderr) == [
        (
            "warning: api.LISTEN does not resolve: LISTEN -> PORT-8080: 'PORT-8080' is not set;"
            " export and run will fail until it does (a fallback is written ${PORT:-8080})"
        )
    ]


def test_a_shared_value_is_checked_in_each_service_that_sees_it(
    envkeep: Envkeep, project: Path
) -> None:
    quick_ok(envkeep, "set", "PORT=8080", "--service", "api")

    written = envkeep.ok("set", "URL=http://localhost:${PORT}")

    # api sets PORT itself; worker does not; the shared scope alone is no one's environment
    assert _warnings(written.stderr) == [
        (
            "warning: URL (shared) in worker does not resolve: URL -> PORT: 'PORT' is not set;"
            " export and run will fail until it does"
        )
    ]


def test_values_that_resolve_and_values_without_references_warn_of_nothing(
    envkeep: Envkeep, project: Path
) -> None:
    quick_ok(envkeep, "set", "PORT=8080", "--service", "worker")

    written = envkeep.ok(
        "set", "HOST=db", "URL=postgres://${HOST}:${worker.PORT}/x", "--service", "api"
    )

    assert _warnings(written.stderr) == []
    assert quick_ok(envkeep, "get", "URL", "--service", "api").stdout == "postgres://db:8080/x\n"


def test_a_value_that_would_be_in_a_reference_cycle_is_refused_and_nothing_is_written(
    envkeep: Envkeep, project: Path, tmp_path: Path
) -> None:
    """`set X=${X}` was refused (exit 2) while `set A=${B} B=${A}` was written with a warning
    (exit 0), and `get A` then failed (exit 3). A cycle is refused as a broken reference (exit
    3, as the README's table says), whether one batch makes it or it closes on a stored value,
    by set, import and edit; a name not set yet stays a warning (it may be set next)."""
    batch = envkeep("set", "A=${B}", "B=${A}", "OK=1", "--service", "api")
    waiting = envkeep.ok("set", "B=${A}", "--service", "api")  # A is not set: yet
    closing = envkeep("set", "A=x${B}", "--service", "api")
    source = envkeep.cwd / "in.env"
    source.write_text("A=${B}\n", encoding="utf-8")
    imported = envkeep("import", str(source), "--service", "api")
    script = tmp_path / "editor.py"
    script.write_text(
        "import sys\n"
        "with open(sys.argv[1], 'a', encoding='utf-8') as buffer:\n"
        "    buffer.write('A=${B}\\n')\n",
        encoding="utf-8",
    )
    edited = envkeep("edit", "--service", "api", env=editor_env(script))
    shared = envkeep("set", "C=${D}", "D=${C}")
    itself = envkeep("set", "E=${E}")

    assert [r.code for r in (batch, closing, imported, edited, shared, itself)] == [3] * 6
    assert_one_line_error(
        batch,
        "the values of A and B would refer back to themselves (reference cycle: A -> B -> A),"
        " so they could never resolve; nothing was written",
    )
    assert "give one of its names a value without a reference" in batch.err_lines[1]
    assert_one_line_error(closing, "the value of A would refer back to itself", "A -> B -> A")
    assert_one_line_error(imported, "A -> B -> A")
    assert edited.err_lines[0].startswith("error: the value of A would refer back to itself")
    assert_one_line_error(shared, "(reference cycle: C -> D -> C in api, worker)")
    assert_one_line_error(itself, "the value of E refers to itself (${E})")
    assert _warnings(waiting.stderr) == [
        (
            "warning: api.B does not resolve: B -> A: 'A' is not set; export and run will fail"
            " until it does"
        )
    ]
    assert _stored(envkeep, "api") == {"B": "${A}"}
    assert _stored(envkeep, None) == {}


def test_a_value_the_set_leaves_unchanged_is_not_warned_of_again(
    envkeep: Envkeep, project: Path
) -> None:
    quick_ok(envkeep, "set", "X=${MISSING}", "--service", "api")

    again = envkeep.ok("set", "X=${MISSING}", "--service", "api")

    assert _warnings(again.stderr) == []


def test_import_warns_of_the_values_it_wrote_that_do_not_resolve(
    envkeep: Envkeep, project: Path
) -> None:
    source = envkeep.cwd / "in.env"
    lines = [f"K{i}=${{GONE_{i}}}" for i in range(12)]
    source.write_text("\n".join(["BASE=x", "OK=${BASE}", *lines]) + "\n", encoding="utf-8")

    imported = envkeep.ok("import", str(source), "--service", "api")

    warned = _warnings(imported.stderr)
    assert len(warned) == 11  # ten named, then how many more
    assert warned[0].startswith("warning: api.K0 does not resolve: K0 -> GONE_0")
    assert warned[-1] == (
        "warning: 2 more values written do not resolve: see them with envkeep validate"
    )
    assert not any("api.OK" in w for w in warned)
    assert _stored(envkeep, "api")["K11"] == "${GONE_11}"


def test_edit_warns_of_the_values_it_wrote_that_do_not_resolve(
    envkeep: Envkeep, project: Path, tmp_path: Path
) -> None:
    script = tmp_path / "editor.py"
    script.write_text(
        "import sys\n"
        "with open(sys.argv[1], 'a', encoding='utf-8') as buffer:\n"
        "    buffer.write('LINK=${nope.URL}\\n')\n",
        encoding="utf-8",
    )

    edited = envkeep.ok("edit", "--service", "worker", env=editor_env(script))

    assert _warnings(edited.stderr) == [
        (
            "warning: worker.LINK does not resolve: LINK -> nope.URL: 'nope.URL' is not set, and"
            " there is no service 'nope'; export and run will fail until it does"
        )
    ]
    assert _stored(envkeep, "worker")["LINK"] == "${nope.URL}"


def test_a_fallback_does_not_hide_a_reference_to_a_service_that_does_not_exist(
    envkeep: Envkeep, project: Path
) -> None:
    """`${apii.HOST:-localhost}` resolves (to its fallback, for ever): still a warning, with
    the close service; a dotted name that is set (`${a.b:-z}`) is no service's."""
    with_fallback = envkeep.ok("set", "URL=http://${apii.HOST:-localhost}", "--service", "worker")
    without = envkeep.ok("set", "URL2=http://${apii.HOST}", "--service", "worker")
    dotted = envkeep.ok("set", "a.b=1", "Y=${a.b:-z}", "--service", "worker")
    source = envkeep.cwd / "in.env"
    source.write_text("Z=${wrker.Q:-1}\n", encoding="utf-8")
    imported = envkeep.ok("import", str(source), "--service", "api")

    assert _warnings(with_fallback.stderr) == [
        (
            "warning: worker.URL refers to ${apii.HOST}, but there is no service 'apii' (did you"
            " mean 'api'?): its fallback always stands in"
        )
    ]
    assert _warnings(without.stderr) == [
        (
            "warning: worker.URL2 does not resolve: URL2 -> apii.HOST: 'apii.HOST' is not set, and"
            " there is no service 'apii' (did you mean 'api'?); export and run will fail until it"
            " does"
        )
    ]
    assert _warnings(dotted.stderr) == []
    assert _warnings(imported.stderr) == [
        (
            "warning: api.Z refers to ${wrker.Q}, but there is no service 'wrker' (did you mean"
            " 'worker'?): its fallback always stands in"
        )
    ]
    assert quick_ok(envkeep, "get", "URL", "--service", "worker").stdout == "http://localhost\n"


def test_validate_finds_a_fallback_standing_in_for_a_service_that_does_not_exist(
    envkeep: Envkeep, project: Path
) -> None:
    quick_ok(envkeep, "set", "URL=http://${apii.HOST:-localhost}", "--service", "worker")

    checked = envkeep.ok("validate", "--service", "worker", "--json")  # a warning: exit 0

    assert json.loads(checked.stdout) == [
        {
            "service": "worker",
            "name": "URL",
            "rule": "unknown-service",
            "severity": "warning",
            "message": "refers to ${apii.HOST}, but there is no service 'apii' (did you mean"
            " 'api'?): its fallback always stands in",
            "layer": "service:worker",
        }
    ]


def test_a_removal_that_would_uncover_a_reference_cycle_is_refused_and_nothing_is_removed(
    envkeep: Envkeep, project: Path, tmp_path: Path
) -> None:
    """A service's own B ends the shared scope's cycle (A=${B}, B=${A}) for that service:
    unsetting it, or deleting its line in `edit`, would leave A and B to the cycle there, which
    no `set` could have written. Refused as `set` refuses a cycle (exit 3), naming it."""
    envkeep.ok("set", "B=1", "--service", "api")
    # KEEP: the edit's buffer keeps a variable (an emptied one is cancelled before any check)
    envkeep.ok("set", "B=1", "KEEP=1", "--service", "worker")
    envkeep.ok("set", "A=${B}", "B=${A}", "--service", "-")  # each service ends it
    script = tmp_path / "editor.py"
    script.write_text(
        "import pathlib, sys\n"
        "buffer = pathlib.Path(sys.argv[1])\n"
        "kept = [l for l in buffer.read_text().splitlines(True) if not l.startswith('B=')]\n"
        "buffer.write_text(''.join(kept))\n",
        encoding="utf-8",
    )

    unset = envkeep("unset", "B", "--env", "dev", "--service", "api")
    edited = envkeep("edit", "--service", "worker", env=editor_env(script))

    assert unset.code == 3, unset.describe()
    assert unset.err_lines == [
        (
            "error: unsetting B in service 'api' would uncover a reference cycle (B -> A -> B in"
            " api), so B and A could never resolve there; nothing was changed"
        ),
        (
            "hint: end the cycle first: give A a value without a reference where it is set"
            " (see where: envkeep explain A --env dev --service api), then try again"
        ),
    ]
    assert edited.code == 3, edited.describe()
    assert edited.err_lines[0] == (
        "error: removing B in service 'worker' would uncover a reference cycle (B -> A -> B in"
        " worker), so B and A could never resolve there; nothing was changed"
    )
    assert _stored(envkeep, "api")["B"] == _stored(envkeep, "worker")["B"] == "1"
    envkeep.ok("unset", "A", "--service", "-")  # a removal that ends the cycle goes ahead
    envkeep.ok("unset", "B", "--service", "api")


def test_rollback_checks_references_as_set_does(envkeep: Envkeep, project: Path) -> None:
    """A rollback wrote an old value back unchecked: one that closed a cycle was written (and
    `get` then failed), one that does not resolve was not warned of."""
    envkeep.ok("set", "C=${D}", "--service", "api")
    envkeep.ok("set", "C=1", "D=${C}", "E=${GONE}", "--service", "api")
    envkeep.ok("set", "E=2", "--service", "api")

    cycle = envkeep("rollback", "C", "--to", "1", "--service", "api", "--yes")
    dangling = envkeep.ok("rollback", "E", "--to", "1", "--service", "api", "--yes")

    assert cycle.code == 3, cycle.describe()
    assert_one_line_error(cycle, "the value of C would refer back to itself (reference cycle:")
    assert _stored(envkeep, "api")["C"] == "1"
    assert _warnings(dangling.stderr) == [
        (
            "warning: api.E does not resolve: E -> GONE: 'GONE' is not set; export and run will"
            " fail until it does"
        )
    ]


def test_a_reference_into_another_environment_says_references_stay_in_their_own(
    envkeep: Envkeep, project: Path
) -> None:
    # Doppler and Infisical users write ${prod.api.PORT}; here it reads a service 'prod'.
    written = envkeep.ok("set", "DB_PORT=${prod.api.PORT}", "--service", "api")
    got = envkeep("get", "DB_PORT", "--service", "api")

    said = "('prod' is an environment: a reference reads only the environment it is in)"
    assert said in written.stderr, written.describe()
    assert got.code == 3
    assert said in got.stderr, got.describe()
