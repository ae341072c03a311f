"""`set` of a new name that no schema seeing it declares, very like one that a schema does
(`port` beside `PORT`): written, with a warning naming the declared one. A name or template
asked for and not found: "did you mean" among every name the service sees (and every
template), "set it with" only when nothing is close, and never after `unset`."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from envkeep.client.name_typos import near_misses
from envkeep.core.fieldspec import FieldSpec, Schema

if TYPE_CHECKING:
    from pathlib import Path

    from .conftest import Envkeep

SCHEMA = "# @type=port\nPORT=8080\n# @type=url\nDATABASE_URL=postgres://db/shop\n"


def _with_schema(envkeep: Envkeep, project: Path) -> None:
    (project / "services" / "api" / ".env.example").write_text(SCHEMA, encoding="utf-8")
    envkeep.ok("service", "set", "api", "--schema", "services/api/.env.example")


def test_a_new_name_like_a_declared_one_is_written_with_a_warning(
    envkeep: Envkeep, project: Path
) -> None:
    _with_schema(envkeep, project)

    written = envkeep.ok("set", "port=9090", "DATABSE_URL=postgres://db/x", "--service", "api")

    assert "set 2 variables" in written.stderr
    assert (
        "warning: the schema of api declares PORT, not port: if port was a typo, set PORT and"
        " unset port"
    ) in written.stderr
    assert "declares DATABASE_URL, not DATABSE_URL" in written.stderr
    assert envkeep.ok("get", "port", "--service", "api").stdout == "9090\n"


def test_declared_names_unrelated_names_and_names_already_set_warn_of_nothing(
    envkeep: Envkeep, project: Path
) -> None:
    _with_schema(envkeep, project)
    envkeep.ok("set", "port=1", "--service", "api")

    again = envkeep.ok("set", "port=2", "PORT=8081", "WORKERS=4", "--service", "api")

    assert "warning" not in again.stderr


def _schema(*names: str) -> Schema:
    return Schema(tuple(FieldSpec(name) for name in names))


def test_a_shared_name_is_compared_with_every_schema_and_names_whose() -> None:
    schemas = {"api": _schema("PORT"), "worker": _schema("QUEUE_URL", "PORT")}

    assert near_misses(schemas, None, ["queue_url", "port", "LOG_LEVEL"]) == [
        (
            "warning: the schema of worker declares QUEUE_URL, not queue_url: if queue_url was a"
            " typo, set QUEUE_URL and unset queue_url"
        ),
        (
            "warning: the schemas of api, worker declare PORT, not port: if port was a typo, set"
            " PORT and unset port"
        ),
    ]
    assert near_misses(schemas, "api", ["queue_url"]) == []  # api does not see worker's


def test_a_name_not_found_is_matched_against_every_name_the_service_sees(
    envkeep: Envkeep, seeded: Path
) -> None:
    """api sees LOG_LEVEL from the shared scope and WORKERS from its schema's default."""
    schema = seeded / "services" / "api" / ".env.example"
    schema.write_text("# @type=int @default=4\nWORKERS=\n", encoding="utf-8")
    envkeep.ok("service", "set", "api", "--schema", "services/api/.env.example")
    api = ("--env", "dev", "--service", "api")

    got, explained, default, unknown = envkeep.many(
        ("get", "LOG_LEVL", *api),
        ("explain", "LOG_LEVL", *api),
        ("get", "WORKRS", *api),
        ("explain", "ZZZ_UNHEARD_OF", *api),
    )

    for typo, meant in ((got, "LOG_LEVEL"), (explained, "LOG_LEVEL"), (default, "WORKERS")):
        assert typo.code == 1, typo.describe()
        assert typo.err_lines[0].endswith(f"(did you mean {meant}?)"), typo.describe()
        assert typo.err_lines[1] == (
            "hint: check the name; the names stored there: envkeep list --env dev --service api"
        )
    assert unknown.err_lines == [
        "error: variable 'ZZZ_UNHEARD_OF' not found in service 'api' of 'dev'",
        "hint: set it with: envkeep set ZZZ_UNHEARD_OF=VALUE --env dev --service api",
    ]


def test_unset_of_a_name_not_there_says_what_is_there_not_how_to_set_it(
    envkeep: Envkeep, seeded: Path
) -> None:
    nothing, typo = envkeep.many(
        ("unset", "NOPE", "--env", "dev"), ("unset", "LOG_LEVL", "--env", "dev")
    )

    assert nothing.code == 1, nothing.describe()
    assert nothing.err_lines == [
        "error: variable 'NOPE' not found in the shared scope of 'dev'",
        "hint: nothing to unset; the names stored there: envkeep list --env dev",
    ]
    assert typo.err_lines[0].endswith("(did you mean LOG_LEVEL?)"), typo.describe()
    assert "envkeep set" not in typo.stderr


def test_a_template_not_found_points_at_a_close_one_before_offering_to_create_it(
    envkeep: Envkeep, project: Path
) -> None:
    envkeep.ok("template", "create", "postgres")

    typo, new = envkeep.many(
        ("template", "apply", "postgre", "--service", "api"),
        ("template", "apply", "redis", "--service", "api"),
    )

    assert typo.code == 1, typo.describe()
    assert typo.err_lines == [
        "error: template 'postgre' not found (templates: postgres)",
        "hint: did you mean 'postgres'?",
    ]
    assert new.err_lines[1] == "hint: create it with: envkeep template create redis --from FILE"


def test_swapped_letters_are_one_typo_for_set_get_and_validate_but_short_names_are_not(
    envkeep: Envkeep, project: Path
) -> None:
    """`set PROT=1` warned of nothing while `get PROT` said "did you mean PORT?", and a
    reference to `${api.PROT}` failed `validate` with no suggestion: one matcher now
    (`core.near_names`), two neighbouring letters swapped included, and an unrelated short
    name (APP, DB) still warns of nothing."""
    _with_schema(envkeep, project)
    written = envkeep.ok("set", "PROT=1", "APP=1", "DB=1", "--env", "staging", "--service", "api")
    envkeep.ok("set", "PORT=8080", "--env", "dev", "--service", "api")
    envkeep.ok("set", "LINK=http://api:${api.PROT}", "--env", "dev", "--service", "worker")

    got, checked = envkeep.many(
        ("get", "PROT", "--env", "dev", "--service", "api"),
        ("validate", "--env", "dev", "--service", "worker", "--json"),
    )

    assert [line for line in written.err_lines if line.startswith("warning")] == [
        (
            "warning: the schema of api declares PORT, not PROT: if PROT was a typo, set PORT"
            " and unset PROT"
        )
    ]
    assert got.err_lines[0].endswith("(did you mean PORT?)"), got.describe()
    assert checked.code == 3, checked.describe()
    (link,) = [f for f in json.loads(checked.stdout) if f["name"] == "LINK"]
    assert link["message"].endswith("'PROT' is not set in service 'api' (did you mean PORT?)")


def test_a_reference_to_a_mistyped_name_says_did_you_mean_wherever_it_fails(
    envkeep: Envkeep, project: Path
) -> None:
    """`set` warned "'PROT' is not set (did you mean PORT?)", and `get` of the value then said
    "'PROT' is not set" alone, as did `explain`, `env diff`, and `export`, `run` and
    `activate-all` given --no-validate: all of them now say it as `set` and `validate` do."""
    api = ("--env", "dev", "--service", "api")
    written = envkeep.ok("set", "PORT=80", "B=${PROT}", *api)

    got, explained, exported, ran, activated, compared = envkeep.many(
        ("get", "B", *api),
        ("explain", "B", *api),
        ("export", "--no-validate", *api),
        ("run", "--no-validate", *api, "--", "true"),
        ("activate-all", "--no-validate", "--env", "dev"),
        ("env", "diff", "dev", "staging", "--service", "api"),
    )

    said = "B -> PROT: 'PROT' is not set (did you mean PORT?)"
    assert f"does not resolve: {said};" in written.stderr
    for failed in (got, exported, ran, activated):
        assert failed.code == 3, failed.describe()
        assert failed.err_lines == [
            f"error: {said}",
            "hint: fix the reference or set the name it refers to; write '$${' for a literal '${'",
        ]
    assert (explained.code, explained.stdout.splitlines()[-1]) == (3, f"error: {said}")
    assert compared.code == 3, compared.describe()
    assert f"B in dev ({said})" in compared.err_lines[0]


def test_get_of_a_value_in_a_reference_cycle_is_told_to_end_the_cycle(
    envkeep: Envkeep, project: Path
) -> None:
    """Every name of a cycle is set: "set the referenced variable" does not help. (A personal
    override is never checked as the team's writes are, so it can make one.)"""
    (project / ".envkeep").mkdir(exist_ok=True)
    (project / ".envkeep" / "local.env").write_text("A=${B}\nB=${A}\n", encoding="utf-8")

    got = envkeep("get", "A", "--env", "dev", "--service", "api")

    assert got.code == 3, got.describe()
    assert got.err_lines == [
        "error: reference cycle: A -> B -> A",
        "hint: end the cycle: give one of its names a value without a reference",
    ]


def test_a_reference_given_for_a_name_is_refused_with_the_command_for_the_name_alone(
    envkeep: Envkeep, seeded: Path
) -> None:
    """`get '${PROT}'` said "variable '${PROT}' not found" and offered `envkeep set
    ${PROT}=VALUE`; `set '${X}=1'` called '${X}' an invalid name. No name starts with '$': the
    command says it takes a name, and gives itself again with the name alone, or the close
    name's (a read only: a guessed name is not handed to a write)."""
    dev = ("--env", "dev")
    found, typo, shell, other, unset, unset_typo, rolled, setting = envkeep.many(
        ("get", "${LOG_LEVEL}", *dev),
        ("get", "${LOG_LEVL:-debug}", *dev),
        ("explain", "$LOG_LEVEL", *dev),
        ("history", "${api.PORT}", *dev),
        ("unset", "${LOG_LEVEL}", *dev),
        ("unset", "${LOG_LEVL}", *dev),
        ("rollback", "${PORT}", "--to", "1", *dev, "--service", "api"),
        ("set", "${X}=1", *dev),
    )

    said = "takes a variable's name, not a reference like"
    assert [r.code for r in (found, typo, shell, other, unset, unset_typo, rolled, setting)] == [
        2
    ] * 8
    assert found.err_lines == [
        f"error: get {said} '${{LOG_LEVEL}}'",
        "hint: envkeep get LOG_LEVEL --env dev",
    ]
    assert typo.err_lines == [
        (
            f"error: get {said} '${{LOG_LEVL:-debug}}', and variable 'LOG_LEVL' not found in the"
            " shared scope of 'dev' (did you mean LOG_LEVEL?)"
        ),
        "hint: envkeep get LOG_LEVEL --env dev",
    ]
    assert shell.err_lines[1] == "hint: envkeep explain LOG_LEVEL --env dev"
    assert other.err_lines[1] == "hint: envkeep history PORT --env dev --service api"
    assert unset.err_lines[1] == "hint: envkeep unset LOG_LEVEL --env dev"
    assert unset_typo.err_lines[1] == (
        "hint: check the name; the names stored there: envkeep list --env dev"
    )
    assert rolled.err_lines[1] == "hint: envkeep rollback PORT --to 1 --env dev --service api"
    assert setting.err_lines == [
        f"error: set {said} '${{X}}'",
        "hint: write the name alone: envkeep set X=VALUE",
    ]
    assert envkeep.ok("get", "LOG_LEVEL", *dev).stdout == "info\n"  # nothing was unset


def test_promote_refuses_a_reference_for_a_name_and_says_did_you_mean(
    envkeep: Envkeep, seeded: Path
) -> None:
    promote = ("promote", "--from", "dev", "--to", "staging", "--yes")
    pasted, typo = envkeep.many((*promote, "PORT", "${LOG_LEVEL}"), (*promote, "LOG_LEVL"))

    assert pasted.code == typo.code == 2, pasted.describe()
    assert pasted.err_lines == [
        "error: promote takes a variable's name, not a reference like '${LOG_LEVEL}'",
        "hint: write the name alone: envkeep promote --from dev --to staging PORT LOG_LEVEL",
    ]
    assert typo.err_lines[0] == "error: not set in 'dev': LOG_LEVL (did you mean LOG_LEVEL?)"


def test_a_reference_to_a_name_with_no_value_yet_suggests_no_unrelated_name() -> None:
    """`DB_PASSWORD` not set beside `DB_PORT` is not a slip: the reference is right, the value
    is missing, and "did you mean DB_PORT?" sent the reader to the wrong variable."""
    from envkeep.client.name_typos import did_you_mean_name

    seen = {"DB_PORT": "5432", "PG_URL": "x"}
    assert did_you_mean_name("'DB_PASSWORD' is not set", seen, lambda _s: None) == ""
    assert did_you_mean_name("'API_URL' is not set in service 'worker'", {}, lambda _s: seen) == ""
    assert did_you_mean_name("'DB_PROT' is not set", seen, lambda _s: None) == (
        " (did you mean DB_PORT?)"
    )
