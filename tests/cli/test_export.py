"""`envkeep export --format dotenv|json|shell|k8s-configmap`: each format reads back to the
same values."""

from __future__ import annotations

import base64
import json
import stat
import subprocess
from typing import TYPE_CHECKING

import yaml

from envkeep.core.dotenv import parse_dotenv

from .config_fixtures import (
    config_template_fixture,  # noqa: F401 - a fixture, requested by name
    config_tree_fixture,  # noqa: F401 - a fixture, requested by name
)
from .conftest import ENVKEEP, SHARED_DEV, collect, quick_ok

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
    "EQUALS": "a=b==c",
    "EMPTY": "",  # last: `set` refuses an argument after an empty NAME= (its value, cut off?)
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
        " than stored: no quoting in a dotenv file serves every reader for such a value"
    )
    where = "hint: docs/quickstart.md §4 says which reader reads what; "
    assert dotenv.err_lines == [warning, where + "--format json holds any value as it is"]
    assert parse_dotenv(dotenv.stdout).values["JWT_SECRET"] == both_quotes
    assert as_json.err_lines == []
    assert activated.code == 0, activated.describe()
    assert activated.err_lines[-2:] == [warning, where + "envkeep run passes any value as it is"]
    assert all("dq" not in r.stderr for r in (dotenv, activated))  # names, never values


def test_a_shell_that_sources_a_dotenv_export_reads_a_multi_line_value_as_stored(
    envkeep: Envkeep, project: Path
) -> None:
    pem = "-----BEGIN KEY-----\nabc\n-----END KEY-----"
    envkeep.ok("set", f"PEM={pem}", "--env", "dev")

    exported = envkeep.ok("export", "--env", "dev", "-o", "api.env")
    sourced = subprocess.run(
        ["bash", "-c", 'set -a; . ./api.env; printf "%s" "$PEM"'],
        capture_output=True, text=True, check=True, env={}, cwd=project,
    )  # fmt: skip

    assert sourced.stdout == pem
    assert "warning" not in exported.stderr


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
    (envkeep.cwd / ".envkeep").mkdir(exist_ok=True)
    (envkeep.cwd / ".envkeep" / "local.env").write_text("LOCAL=1\n", encoding="utf-8")
    result = envkeep("export", "--env", "dev", "--format", "no-such-format")

    assert result.code == 2
    assert len(result.err_lines) == 2, result.describe()  # refused before reading: no note
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
    assert bare.code == 2, bare.describe()  # stdout is the step's log: it would show them
    assert bare.stdout == ""
    assert "unmasked" in bare.stderr
    assert '-o "$GITHUB_ENV" --append' in bare.stderr
    assert outside.code == 0
    assert outside.stdout == ""  # outside a job: never a value on the terminal


def test_github_export_in_a_job_to_stdout_redirected_into_a_file_writes_it_with_a_warning(
    envkeep: Envkeep, project: Path, tmp_path: Path
) -> None:
    """`> "$GITHUB_ENV"` keeps the values out of the log, so it is done, with a warning that
    later steps' logs do not mask them."""
    envkeep.ok("set", "TOKEN=s3cr%t-value", "--env", "dev")
    github_env = tmp_path / "github_env"
    with github_env.open("wb") as stdout:
        done = subprocess.run(
            [*ENVKEEP, "export", "--env", "dev", "-f", "github"],
            stdin=subprocess.DEVNULL,
            stdout=stdout,
            stderr=subprocess.PIPE,
            cwd=envkeep.cwd,
            env=envkeep.environ({"GITHUB_ACTIONS": "true"}),
            check=False,
        )

    assert done.returncode == 0, done.stderr
    assert github_env.read_text(encoding="utf-8") == "TOKEN=s3cr%t-value\n"
    assert b"does not mask these values" in done.stderr


def test_github_export_in_a_job_masks_only_the_values_that_may_be_secret(
    envkeep: Envkeep, config_tree: Path, tmp_path: Path
) -> None:
    """A value a schema declares, none marks @secret and that holds no credential is left
    unmasked: a mask of `info` or `8080` stars those words in every later line of the log."""
    envkeep.ok(
        "set", "PUBLIC_URL=https://preview:previewpw@dev.shop.example", "-e", "dev", "-s", "web"
    )
    files = {scope: tmp_path / f"github_env_{scope}" for scope in ("api", "web")}
    in_job = {"GITHUB_ACTIONS": "true"}
    append = ("-f", "github", "--append")
    results = collect(
        {
            scope: envkeep.popen(
                "export", "-e", "dev", "-s", scope, *append, "-o", str(file), env=in_job
            )
            for scope, file in files.items()
        }
    )

    assert all(r.code == 0 for r in results.values()), results
    assert results["api"].stdout.splitlines() == [  # sorted by name; 8080, debug, ... unmasked
        "::add-mask::postgres://app:dev-pass@db.dev.internal/shop",  # DATABASE_URL: @secret
        "::add-mask::dev-pass",  # DB_PASSWORD: @secret in the postgres template
        "::add-mask::insecure-default",  # DB_ROOT_PASSWORD
    ]
    assert results["web"].stdout.splitlines() == [
        "::add-mask::dev-pass",  # DB_PASSWORD, from the shared scope
        "::add-mask::price=${AMOUNT}",  # PRICE_HINT: no schema declares it
        "::add-mask::https://preview:previewpw@dev.shop.example",  # a password in the URL
        "::add-mask::Hello",  # WELCOME_TEXT, undeclared: line by line
        "::add-mask::World",
    ]
    api = files["api"].read_text(encoding="utf-8")
    assert all(
        line in api for line in ("PORT=8080\n", "LOG_LEVEL=debug\n", "DB_PASSWORD=dev-pass\n")
    )
    assert "WELCOME_TEXT<<ghadelim_" in files["web"].read_text(encoding="utf-8")


def test_github_export_without_a_checkout_masks_every_value(
    envkeep: Envkeep, config_tree: Path, tmp_path: Path
) -> None:
    """Without envkeep.toml no schema says which values are plain: each one is masked."""
    bare = tmp_path / "bare"
    bare.mkdir()
    github_env = bare / "github_env"

    added = envkeep(
        "export", "--env", "dev", "-f", "github", "-o", str(github_env), "--append",
        cwd=bare,
        env={"ENVKEEP_PROJECT": "shop", "GITHUB_ACTIONS": "true"},
    )  # fmt: skip

    assert added.code == 0, added.describe()
    assert added.stdout.splitlines() == [
        "::add-mask::db.dev.internal",
        "::add-mask::dev-pass",
        "::add-mask::info",
    ]


def test_github_export_masks_every_value_when_a_schema_cannot_be_read_and_says_so(
    envkeep: Envkeep, config_tree: Path, tmp_path: Path
) -> None:
    """web's schema file is gone: nothing says whether web marks a name of api's @secret."""
    (config_tree / "services" / "web" / ".env.example").unlink()
    github_env = tmp_path / "github_env"

    added = envkeep(
        "export", "-e", "dev", "-s", "api", "-f", "github", "-o", str(github_env), "--append",
        env={"GITHUB_ACTIONS": "true"},
    )  # fmt: skip

    assert added.code == 0, added.describe()
    assert "::add-mask::8080" in added.stdout.splitlines()
    assert "::add-mask::db.dev.internal" in added.stdout.splitlines()
    note = "note: every value is masked, as a schema cannot be read: schema file"
    assert any(line.startswith(note) for line in added.err_lines), added.describe()


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


def test_an_empty_output_path_says_so_not_that_a_directory_is_named(
    envkeep: Envkeep, project: Path
) -> None:
    # -o "$GITHUB_ENV" in a step that is no GitHub Actions job (a local try, another CI)
    done = envkeep("export", "--env", "dev", "-f", "github", "-o", "", "--append")

    assert done.code == 2, done.describe()
    assert done.err_lines[0] == "error: -o names no file: it is empty (or '.')"
    assert "$GITHUB_ENV is set only in a GitHub Actions job" in done.stderr


def test_a_gitlab_report_over_gitlabs_default_limits_is_written_with_a_warning(
    envkeep: Envkeep, project: Path
) -> None:
    envkeep.ok("set", *(f"V{i}=value-{i}" for i in range(51)), "--env", "dev")  # 51 > Free's 50
    envkeep.ok("set", "ONE=1", "--env", "staging")

    many = envkeep.ok("export", "--env", "dev", "-f", "gitlab")
    few = envkeep.ok("export", "--env", "staging", "-f", "gitlab")

    assert many.stdout.count("\n") == 51  # written all the same: an admin may raise them
    assert many.err_lines[-1].startswith("warning: this GitLab dotenv report is ")
    assert "with 51 variables; GitLab refuses at upload one over 5,120 bytes" in many.stderr
    assert few.stderr == ""


# Values a YAML reader would retype (a bool, an octal number, null) unless quoted.
LOOKALIKES = {"DEBUG": "no", "FLAG": "yes", "PORT": "0123", "MODE": "null", "NOTE": "a: b # c"}


def declare(envkeep: Envkeep, service: str, names: list[str]) -> None:
    """Give ``service`` a schema that declares ``names``, none of them @secret."""
    example = envkeep.cwd / "services" / service / ".env.example"
    example.write_text("".join(f"{name}=\n" for name in names), encoding="utf-8")
    quick_ok(envkeep, "service", "set", service, "--schema", f"services/{service}/.env.example")


def test_k8s_configmap_export_writes_a_configmap_that_reads_back_to_the_values(
    envkeep: Envkeep, project: Path, tmp_path: Path
) -> None:
    values = LOOKALIKES | AWKWARD  # its EMPTY= last, as `set` takes it
    declare(envkeep, "api", list(values))  # the shared scope's ConfigMap: any schema's word
    envkeep.ok("set", *(f"{k}={v}" for k, v in values.items()), "--env", "staging")
    envkeep.ok("set", "API_TOKEN=tok-not-shown", "--env", "staging")
    target, existing = tmp_path / "configmap.yaml", tmp_path / "existing.yaml"
    existing.write_text("kept\n", encoding="utf-8")
    export = ("export", "--env", "staging", "--format", "k8s-configmap")

    written, printed, refused = envkeep.many(
        (*export, "--namespace", "shop", "-o", str(target)),
        (*export, "--name", "shop-config"),
        (*export, "-o", str(existing)),
    )

    assert written.code == 0, written.describe()
    assert written.stdout == ""
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    manifest = yaml.safe_load(target.read_text(encoding="utf-8"))
    assert (manifest["apiVersion"], manifest["kind"]) == ("v1", "ConfigMap")
    assert manifest["metadata"] == {"name": "shop-shared", "namespace": "shop"}
    assert manifest["data"] == values
    assert "ConfigMap name: shop-shared (after the project; choose one with --name)" in (
        written.err_lines
    )
    assert (  # no schema declares API_TOKEN: it is left out, and named
        "left out of the ConfigMap, as no schema declares it and its name looks secret: API_TOKEN"
    ) in written.err_lines
    assert f"wrote {len(values)} variables to {target}" in written.err_lines
    assert "tok-not-shown" not in written.stderr
    assert printed.code == 0, printed.describe()
    assert yaml.safe_load(printed.stdout)["metadata"] == {"name": "shop-config"}
    assert "ConfigMap name" not in printed.stderr  # --name given: nothing to say
    assert refused.code == 1, refused.describe()
    assert "--force" in refused.stderr
    assert existing.read_text(encoding="utf-8") == "kept\n"


LEFT_OUT_HINT = (
    "hint: the Secret (--format k8s) carries every value; to put a name in the ConfigMap,"
    " declare it in a service's schema without @secret (a value that holds a credential or is"
    " filled from a secret stays out)"
)


def test_k8s_configmap_export_holds_only_what_the_schemas_declare_and_none_marks_secret(
    envkeep: Envkeep, config_tree: Path
) -> None:
    """api's schema marks DATABASE_URL @secret, and the postgres template it uses DB_PASSWORD
    and DB_ROOT_PASSWORD; web's schema marks nothing, but gets DB_PASSWORD from the shared
    scope: left out of its ConfigMap too, as are values a reference fills with a secret, and
    names no schema declares. A reference to a plain value (${DB_HOST}, ${api.PORT}) is kept."""
    envkeep.ok(
        "set",
        "DSN=postgres://app:${DB_PASSWORD}@db/shop",
        "ORDERS_DB=${api.DATABASE_URL}",
        "PUBLIC_URL=https://${DB_HOST}/shop",  # refers to no secret: kept
        "GREETING=log level ${LOG_LEVEL}",  # no schema declares it: left out
        "--env",
        "dev",
        "--service",
        "web",
    )
    scopes = {
        "api": ("--service", "api"),
        "web": ("--service", "web"),
        "worker": ("--service", "worker"),
        "shared": (),
    }
    started = {
        f"{fmt} {scope}": envkeep.popen("export", "--env", "dev", *args, "--format", fmt)
        for scope, args in scopes.items()
        for fmt in ("k8s-configmap", "json")
    }
    started["k8s api"] = envkeep.popen("export", "--env", "dev", "-s", "api", "-f", "k8s")
    results = collect(started)

    assert all(r.code == 0 for r in results.values()), results
    left_out = {
        "api": ["DATABASE_URL", "DB_PASSWORD", "DB_ROOT_PASSWORD", "EXTRA_DEBUG"],
        "web": ["DB_PASSWORD", "DSN", "GREETING", "ORDERS_DB", "PRICE_HINT", "WELCOME_TEXT"],
        "worker": ["DB_PASSWORD", "RETRY_DELAY", "VERBOSE"],
        "shared": ["DB_PASSWORD"],
    }
    for scope, out in left_out.items():
        configmap = results[f"k8s-configmap {scope}"]
        every = json.loads(results[f"json {scope}"].stdout)
        assert set(out) <= set(every), scope
        data = yaml.safe_load(configmap.stdout)["data"]
        assert data == {k: v for k, v in every.items() if k not in out}, scope
        assert "dev-pass" not in configmap.stdout + configmap.stderr
        named = " ".join(line for line in configmap.err_lines if line.startswith("left out"))
        assert all(name in named for name in out), configmap.describe()
        assert LEFT_OUT_HINT in configmap.err_lines, configmap.describe()
    api, web = results["k8s-configmap api"], results["k8s-configmap web"]
    assert (
        "left out of the ConfigMap, as a schema marks them @secret: DATABASE_URL, DB_PASSWORD"
        " and DB_ROOT_PASSWORD"
    ) in api.err_lines
    assert "left out of the ConfigMap, as no schema declares it: EXTRA_DEBUG" in api.err_lines
    assert (
        "left out of the ConfigMap, as a reference fills them from a value left out as secret:"
        " DSN and ORDERS_DB"
    ) in web.err_lines
    assert (
        "left out of the ConfigMap, as no schema declares them: GREETING, PRICE_HINT and"
        " WELCOME_TEXT"
    ) in web.err_lines
    assert yaml.safe_load(web.stdout)["data"]["PUBLIC_URL"] == "https://db.dev.internal/shop"
    worker = yaml.safe_load(results["k8s-configmap worker"].stdout)["data"]
    assert worker["API_URL"] == "http://api:8080"
    secret_data = yaml.safe_load(results["k8s api"].stdout)["data"]  # the Secret keeps them all
    assert base64.b64decode(secret_data["DB_PASSWORD"]) == b"dev-pass"


# What the tester stored for worker: every one of them got into the ConfigMap, all but
# DB_PASSWORD without a word.
TESTER = {
    "DB_PASSWORD": "hunter2",
    "CONN": "postgres://app:${DB_PASSWORD}@db/x",
    "DB_PASS": "pw2-not-shown",
    "APIKEY": "k1-not-shown",
    "GH_PAT": "ghp_not-shown",
    "REDIS_URL": "redis://:redispw@redis:6379",
}
PLAIN = {"LOG_LEVEL": "info", "PORT": "8080", "PROJECT": "shop"}


def test_k8s_configmap_export_leaves_out_each_value_not_known_to_be_plain_saying_why(
    envkeep: Envkeep, project: Path
) -> None:
    declare(envkeep, "worker", [*PLAIN, "REDIS_URL"])
    values = TESTER | PLAIN | {"EXTRA": "1"}
    envkeep.ok("set", *(f"{k}={v}" for k, v in values.items()), "--env", "dev", "-s", "worker")

    result = envkeep("export", "--env", "dev", "--service", "worker", "--format", "k8s-configmap")

    assert result.code == 0, result.describe()  # done as asked: the rest is the Secret's
    assert yaml.safe_load(result.stdout)["data"] == PLAIN
    left_out = [line for line in result.err_lines if line.startswith("left out")]
    assert left_out == [
        "left out of the ConfigMap, as a reference fills it from a value left out as secret: CONN",
        (
            "left out of the ConfigMap, as its value carries a credential (a password in a URL,"
            " a token or a private key): REDIS_URL"
        ),
        (
            "left out of the ConfigMap, as no schema declares them and their names look secret:"
            " APIKEY, DB_PASS, DB_PASSWORD and GH_PAT"
        ),
        "left out of the ConfigMap, as no schema declares it: EXTRA",
    ]
    assert LEFT_OUT_HINT in result.err_lines
    assert not any(secret in result.stderr for secret in ("hunter2", "not-shown", "redispw"))


def test_k8s_configmap_export_without_a_checkout_is_refused(
    envkeep: Envkeep, project: Path, tmp_path: Path
) -> None:
    """Without envkeep.toml no schema says which values are secret: no ConfigMap is guessed."""
    bare = tmp_path / "bare"
    bare.mkdir()
    target = bare / "configmap.yaml"

    refused = envkeep(
        "export", "--env", "dev", "--format", "k8s-configmap", "-o", str(target),
        cwd=bare,
        env={"ENVKEEP_PROJECT": "shop"},
    )  # fmt: skip

    assert refused.code == 2, refused.describe()
    error, hint = refused.err_lines[-2:]
    assert error.startswith("error: a ConfigMap export needs the project's checkout")
    assert "@secret" in error
    assert "--format k8s" in hint
    assert not target.exists()
