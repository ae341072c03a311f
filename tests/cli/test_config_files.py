"""Files in and out: `encrypt`/`decrypt` (git-friendly .env files that give back the exact
bytes), `run --file`, `import` (dotenv, JSON, YAML; conflicts), `export -o` in the formats
other tools read."""

from __future__ import annotations

import base64
import json
import re
import shutil
import stat
import sys
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pytest
import yaml

from .config_fixtures import (
    PLAIN_GIT,
    PRINT_ENV,
    assert_one_line_error,
    config_template_fixture,  # noqa: F401 - a fixture, requested by name
    config_tree_fixture,  # noqa: F401 - a fixture, requested by name
    git,
    printed_env,
    stored_in,
)
from .conftest import Result, collect, copy_of, local_only, quick, quick_ok

if TYPE_CHECKING:
    from pathlib import Path

    from .conftest import Envkeep, Homes, Template

PY = sys.executable
PASSPHRASE = {"ENVKEEP_FILE_PASSPHRASE": "correct horse battery staple"}

# Comments, `export `, both quotes, CRLF and LF mixed, a multi-line value, an empty value, a
# trailing comment, non-ASCII text, and no newline at the very end.
AWKWARD = (
    b"# Settings for the shop API\r\n"
    b"export PORT=8080\r\n"
    b'GREETING="say \\"hi\\" to $USER"\r\n'
    b"SINGLE='literal ${NOT_A_REF} # not a comment'\n"
    b"\r\n"
    b'CERT="-----BEGIN-----\nline two\n-----END-----"\n'
    b"EMPTY=\n"
    b"UNICODE=\xc3\xbcn\xc3\xafc\xc3\xb8d\xc3\xa9 \xe2\x9c\x93 # trailing comment\n"
    b"# the end, without a newline"
)
AWKWARD_VALUES = {
    "PORT": "8080",
    "GREETING": 'say "hi" to $USER',
    "SINGLE": "literal ${NOT_A_REF} # not a comment",
    "CERT": "-----BEGIN-----\nline two\n-----END-----",
    "EMPTY": "",
    "UNICODE": "ünïcødé ✓",
}


@dataclass(frozen=True)
class Sealed:
    original: Path
    by_env: Path  # encrypted to dev's key
    by_passphrase: Path
    tampered: Path
    tampered_line: int
    results: dict[str, Result]


def tamper(source: Path, target: Path, name: str) -> int:
    """Copy ``source`` with one character of ``name``'s value changed; return its line."""
    lines = source.read_bytes().split(b"\n")
    index = next(
        i for i, line in enumerate(lines) if re.match(rb"(export )?%b=" % name.encode(), line)
    )
    line = bytearray(lines[index])
    at = line.index(b"enc:v1:") + 20
    line[at] = ord("B") if line[at] != ord("B") else ord("C")
    lines[index] = bytes(line)
    target.write_bytes(b"\n".join(lines))
    return index + 1


@pytest.fixture(scope="module")
def sealed(tmp_path_factory: pytest.TempPathFactory, config_template: Template) -> Sealed:
    """AWKWARD encrypted both ways; then every decrypt and `run --file` of the tests, at once."""
    root = tmp_path_factory.mktemp("config-files")
    envkeep = copy_of(config_template, root)
    original = root / "awkward.env"
    original.write_bytes(AWKWARD)
    by_env, by_passphrase = root / "env.enc", root / "passphrase.enc"
    by_default, elsewhere = root / "default.enc", root / "elsewhere"
    elsewhere.mkdir()  # beside the checkout (root / "work"), not in it
    encrypted = collect(
        {
            "env": envkeep.popen("encrypt", str(original), "-o", str(by_env), "--env", "dev"),
            "passphrase": envkeep.popen(
                "encrypt", str(original), "-o", str(by_passphrase), "--passphrase", env=PASSPHRASE
            ),
            "default": envkeep.popen("encrypt", str(original), "-o", str(by_default)),
        }
    )
    assert all(r.code == 0 for r in encrypted.values()), encrypted
    outside = envkeep.popen("encrypt", str(original), "-o", "out.enc", cwd=elsewhere)
    both = envkeep.popen(
        "encrypt", str(original), "-o", "both.enc", "--env", "dev", "--passphrase", env=PASSPHRASE
    )
    tampered = root / "tampered.enc"
    line = tamper(by_env, tampered, "PORT")
    names = list(AWKWARD_VALUES)
    later = {
        "decrypt env": envkeep.popen("decrypt", str(by_env), "-o", str(root / "env.out")),
        "decrypt default": envkeep.popen(
            "decrypt", str(by_default), "-o", str(root / "default.out")
        ),
        "decrypt passphrase": envkeep.popen(
            "decrypt", str(by_passphrase), "-o", str(root / "passphrase.out"), env=PASSPHRASE
        ),
        "wrong passphrase": envkeep.popen(
            "decrypt", str(by_passphrase), "-o", str(root / "wrong.out"),
            env={"ENVKEEP_FILE_PASSPHRASE": "not the passphrase"},
        ),
        "decrypt tampered": envkeep.popen("decrypt", str(tampered), "-o", str(root / "t.out")),
        "run file": envkeep.popen("run", "--file", str(by_env), "--", PY, "-c", PRINT_ENV, *names),
        "run tampered": envkeep.popen(
            "run", "--file", str(tampered), "--", PY, "-c", PRINT_ENV, *names
        ),
    }  # fmt: skip
    later["outside"], later["both"] = outside, both
    results = collect(later) | {f"encrypt {k}": r for k, r in encrypted.items()}
    return Sealed(original, by_env, by_passphrase, tampered, line, results)


def test_encrypt_keeps_names_and_comments_readable_and_values_enc_v1(sealed: Sealed) -> None:
    for path in (sealed.by_env, sealed.by_passphrase):
        text = path.read_text(encoding="utf-8")
        assert "# Settings for the shop API" in text
        assert "# the end, without a newline" in text
        for name in AWKWARD_VALUES:
            assert re.search(rf"^(export )?{name}=['\"]?enc:v1:[A-Za-z0-9_-]+", text, re.M), name
        for value in AWKWARD_VALUES.values():
            assert len(value) < 5 or value not in text
        assert "line two" not in text
        assert "ünïcødé" not in text


def test_encrypt_names_the_key_it_used_the_projects_default_environment_unless_told(
    sealed: Sealed,
) -> None:
    said = {k: sealed.results[f"encrypt {k}"].stderr.strip() for k in ("env", "default")}
    assert said["default"].endswith("(encrypted to the key of environment 'dev')")
    assert said["env"].endswith("(encrypted to the key of environment 'dev')")
    assert "(encrypted to a passphrase)" in sealed.results["encrypt passphrase"].stderr
    header = (sealed.original.parent / "default.enc").read_text(encoding="utf-8").split("\n")[0]
    assert " env=dev " in header


def test_encrypt_outside_a_project_asks_for_a_passphrase_and_refuses_two_keys(
    sealed: Sealed,
) -> None:
    outside, both = sealed.results["outside"], sealed.results["both"]
    assert outside.code == 2
    assert_one_line_error(outside, "no key to encrypt to outside a project")
    assert "--passphrase" in outside.stderr
    assert both.code == 2
    assert_one_line_error(both, "choose one key")
    assert not (sealed.original.parent / "elsewhere" / "out.enc").exists()
    assert not (sealed.original.parent / "work" / "both.enc").exists()


@pytest.mark.parametrize("key", ["decrypt env", "decrypt default", "decrypt passphrase"])
def test_decrypt_gives_back_the_exact_original_bytes(sealed: Sealed, key: str) -> None:
    result = sealed.results[key]

    assert result.code == 0, result.describe()
    written = sealed.original.parent / f"{key.removeprefix('decrypt ')}.out"
    assert written.read_bytes() == AWKWARD


def test_run_with_an_encrypted_file_gives_the_command_its_values(sealed: Sealed) -> None:
    assert printed_env(sealed.results["run file"]) == AWKWARD_VALUES


def test_a_changed_character_in_a_value_fails_decryption_naming_the_line(sealed: Sealed) -> None:
    result = sealed.results["decrypt tampered"]

    assert result.code == 1
    assert_one_line_error(result, f"line {sealed.tampered_line}", "'PORT'")
    assert not (sealed.original.parent / "t.out").exists()
    ran = sealed.results["run tampered"]
    assert_one_line_error(ran, f"line {sealed.tampered_line}")
    assert ran.stdout == ""


def test_a_wrong_passphrase_writes_nothing(sealed: Sealed) -> None:
    result = sealed.results["wrong passphrase"]

    assert result.code == 4
    assert_one_line_error(result, "passphrase")
    assert not (sealed.original.parent / "wrong.out").exists()
    assert "not the passphrase" not in result.stderr


def test_a_file_encrypted_before_its_environment_was_renamed_still_decrypts(
    envkeep: Envkeep, config_tree: Path, tmp_path: Path
) -> None:
    plain, sealed, out = tmp_path / "p.env", tmp_path / "p.env.enc", tmp_path / "out.env"
    plain.write_bytes(b"A=1\n")
    quick_ok(envkeep, "encrypt", str(plain), "-o", str(sealed), "--env", "staging")
    quick_ok(envkeep, "env", "edit", "staging", "--rename", "stage")

    quick_ok(envkeep, "decrypt", str(sealed), "-o", str(out))

    assert out.read_bytes() == b"A=1\n"
    quick_ok(envkeep, "env", "delete", "stage", "--yes")
    quick_ok(envkeep, "env", "create", "staging")  # the old name, another id and key
    gone = quick(envkeep, "decrypt", str(sealed), "-o", str(tmp_path / "again.env"))
    assert gone.code == 4  # no key for it
    assert_one_line_error(
        gone,
        "the key of another environment named 'staging'",
        "environment 'staging' of project 'shop' here has a key of its own",
    )
    assert gone.err_lines[1].startswith("hint: decrypt it with the store that encrypted it;")
    assert "encrypt it with --passphrase" in gone.err_lines[1]


def test_a_file_of_a_project_this_store_lacks_is_not_answered_with_init(
    envkeep: Envkeep, homes: Homes, config_tree: Path, tmp_path: Path
) -> None:
    local_only(homes, "another machine's embedded store is another home")
    plain, sealed = tmp_path / "p.env", tmp_path / "p.env.enc"
    plain.write_bytes(b"A=1\n")
    quick_ok(envkeep, "encrypt", str(plain), "-o", str(sealed), "--env", "staging")
    elsewhere = {"ENVKEEP_HOME": str(tmp_path / "teammate")}  # a store without the project

    refused = quick(envkeep, "decrypt", str(sealed), "-o", "-", env=elsewhere)

    assert refused.code == 4  # no key for it (README's exit codes)
    assert_one_line_error(
        refused,
        "the key of environment 'staging' of project 'shop'",
        "which this machine's store does not hold",
    )
    assert "would make new keys, which cannot read it" in refused.err_lines[1]
    assert "create it with" not in refused.stderr


def test_encrypt_holds_values_to_the_limit_set_does(envkeep: Envkeep, tmp_path: Path) -> None:
    plain, sealed = tmp_path / "big.env", tmp_path / "big.env.enc"
    plain.write_text("SMALL=1\nHUGE=" + "y" * 70_000 + "\n", encoding="utf-8")

    refused = quick(
        envkeep, "encrypt", str(plain), "-o", str(sealed), "--passphrase", env=PASSPHRASE
    )

    assert refused.code == 2
    assert_one_line_error(refused, "the value of HUGE is 70,000 bytes", "at most 65,536")
    assert not sealed.exists()


def test_encrypt_to_a_passphrase_refuses_a_short_one_however_it_comes(
    envkeep: Envkeep, tmp_path: Path
) -> None:
    plain, sealed = tmp_path / "short.env", tmp_path / "short.env.enc"
    plain.write_text("DB_PASSWORD=hunter2\n", encoding="utf-8")

    refused = quick(
        envkeep, "encrypt", str(plain), "-o", str(sealed), "--passphrase",
        env={"ENVKEEP_FILE_PASSPHRASE": "pw1"},
    )  # fmt: skip

    assert refused.code == 2
    assert_one_line_error(refused, "ENVKEEP_FILE_PASSPHRASE has 3 characters", "at least 8")
    assert "drop --passphrase" in refused.err_lines[1]
    assert not sealed.exists()


def test_a_files_passphrase_is_never_the_identitys_or_logins(
    envkeep: Envkeep, tmp_path: Path
) -> None:
    plain, sealed = tmp_path / "shared.env", tmp_path / "shared.env.enc"
    plain.write_text("DB_PASSWORD=hunter2\n", encoding="utf-8")
    account = {"ENVKEEP_PASSPHRASE": "the account passphrase"}
    encrypt = ("encrypt", str(plain), "-o", str(sealed), "--passphrase")

    unset = quick(envkeep, *encrypt, env=account)
    reused = {**account, "ENVKEEP_FILE_PASSPHRASE": account["ENVKEEP_PASSPHRASE"]}
    same = quick(envkeep, *encrypt, env=reused)

    assert_one_line_error(unset, "no passphrase for the file", "ENVKEEP_FILE_PASSPHRASE")
    assert "never your identity's or login's" in unset.err_lines[1]
    assert_one_line_error(same, "is the one in ENVKEEP_PASSPHRASE", "nothing was written")
    assert not sealed.exists()
    quick_ok(envkeep, *encrypt, env=PASSPHRASE)
    as_before = {"ENVKEEP_PASSPHRASE": PASSPHRASE["ENVKEEP_FILE_PASSPHRASE"]}
    opened = quick(envkeep, "decrypt", str(sealed), "-o", "-", env=as_before)
    assert_one_line_error(opened, "ENVKEEP_FILE_PASSPHRASE is not set")
    assert "hunter2" not in opened.stdout


def test_a_format_given_to_runs_f_or_a_file_to_exports_f_names_the_slip(
    envkeep: Envkeep, config_tree: Path
) -> None:
    run = envkeep("run", "-f", "json", "--", "true")
    export = quick(envkeep, "export", "-f", ".env.enc", "--env", "dev")

    assert run.code == export.code == 2
    assert_one_line_error(run, "json not found: run's -f is --file", "in export, -f is --format")
    assert_one_line_error(export, "'.env.enc' (-f is --format here; a file to write goes after -o)")


def test_encrypt_warns_about_a_duplicate_key_as_import_does(
    envkeep: Envkeep, config_tree: Path
) -> None:
    (config_tree / "twice.env").write_text("A=1\nB=x\nA=2\n", encoding="utf-8")
    warning = "warning: line 3: duplicate key 'A' (first set on line 1); the last value wins"

    encrypted = envkeep("encrypt", "twice.env")
    imported = envkeep("import", "twice.env", "--env", "staging")

    assert encrypted.code == imported.code == 0, encrypted.describe()
    assert warning in encrypted.err_lines
    assert warning in imported.err_lines


@pytest.mark.skipif(shutil.which("git") is None, reason="needs git")
def test_encrypt_warns_when_git_would_commit_the_plaintext_it_leaves(
    envkeep: Envkeep, config_tree: Path
) -> None:
    git(config_tree, "init", "-q")
    (config_tree / "app.env").write_text("A=1\n", encoding="utf-8")

    exposed = envkeep("encrypt", "app.env", env=PLAIN_GIT)
    (config_tree / ".gitignore").write_text("app.env\n", encoding="utf-8")
    ignored = envkeep("encrypt", "app.env", "--force", env=PLAIN_GIT)

    assert exposed.code == ignored.code == 0, exposed.describe()
    assert exposed.err_lines[1:] == [
        "warning: git would commit app.env: .env files hold secrets",
        "hint: add app.env to the project's .gitignore (or delete it: the encrypted file keeps it)",
    ]
    assert [line for line in ignored.err_lines if line.startswith(("warning", "hint"))] == []


@pytest.mark.skipif(shutil.which("git") is None, reason="needs git")
def test_encrypting_a_file_in_place_warns_of_no_plaintext(
    envkeep: Envkeep, config_tree: Path
) -> None:
    git(config_tree, "init", "-q")
    (config_tree / "svc.env").write_text("A=1\n", encoding="utf-8")

    in_place = envkeep("encrypt", "svc.env", "-o", "./svc.env", "--force", env=PLAIN_GIT)

    assert in_place.code == 0, in_place.describe()
    assert [line for line in in_place.err_lines if line.startswith(("warning", "hint"))] == []
    assert (config_tree / "svc.env").read_text(encoding="utf-8").startswith("# envkeep-encrypted")


# -- import ----------------------------------------------------------------------------------

IMPORTS = {
    "dev": ("legacy.env", "A=1\nexport B='two words'\n# a comment\nC=\"x=y\"\n"),
    "staging": (
        "legacy.json",
        json.dumps({"db": {"host": "h", "port": 5432}, "debug": True, "tags": ["a", "b"]}),
    ),
    "prod": ("legacy.yaml", "cache:\n  redis:\n    host: r\n    port: 6379\nname: shop\n"),
}


def test_import_reads_dotenv_json_and_yaml_joining_nested_keys_with_underscores(
    envkeep: Envkeep, config_tree: Path, tmp_path: Path
) -> None:
    for filename, text in IMPORTS.values():
        (tmp_path / filename).write_text(text, encoding="utf-8")

    results = envkeep.many(
        *(
            ("import", str(tmp_path / f), "--env", env, "-s", "web")
            for env, (f, _) in IMPORTS.items()
        )
    )

    assert all(r.code == 0 for r in results), [r.describe() for r in results]
    dotenv, from_json, from_yaml = (stored_in(envkeep, env, "web") for env in IMPORTS)
    assert {k: dotenv[k] for k in "ABC"} == {"A": "1", "B": "two words", "C": "x=y"}
    assert {k: from_json[k] for k in ("db_host", "db_port", "debug")} == {
        "db_host": "h", "db_port": "5432", "debug": "true",
    }  # fmt: skip
    assert json.loads(from_json["tags"]) == ["a", "b"]
    assert from_yaml == {"cache_redis_host": "r", "cache_redis_port": "6379", "name": "shop"}


def test_import_conflicts_fail_by_default_or_are_skipped_or_overwritten(
    envkeep: Envkeep, config_tree: Path, tmp_path: Path
) -> None:
    source = tmp_path / "ports.env"
    source.write_text("PORT=1\nBRAND_NEW=x\n", encoding="utf-8")
    before = quick_ok(envkeep, "list", "--env", "dev", "--service", "api", "--json").stdout

    failed, skipped, overwritten = envkeep.many(
        ("import", str(source), "--env", "dev", "--service", "api"),
        ("import", str(source), "--env", "staging", "--service", "api", "--on-conflict", "skip"),
        ("import", str(source), "-e", "prod", "--service", "api", "--on-conflict", "overwrite"),
    )

    assert failed.code == 1
    assert_one_line_error(failed, "PORT")
    assert quick_ok(envkeep, "list", "--env", "dev", "-s", "api", "--json").stdout == before
    assert (skipped.code, overwritten.code) == (0, 0)
    staging, prod = stored_in(envkeep, "staging", "api"), stored_in(envkeep, "prod", "api")
    assert (staging["PORT"], staging["BRAND_NEW"]) == ("8080", "x")
    assert (prod["PORT"], prod["BRAND_NEW"]) == ("1", "x")


# -- export ----------------------------------------------------------------------------------

EXPORTS = {  # format: (service, extra arguments)
    "yaml": ("web", ()),
    "k8s": ("web", ("--name", "web-config", "--namespace", "shop")),
    "github": ("web", ()),  # web's WELCOME_TEXT spans two lines: a heredoc
    "docker": ("api", ()),  # docker and GitLab files hold single-line values only
    "gitlab": ("api", ()),
}


def parse_github(text: str) -> dict[str, str]:
    """A $GITHUB_ENV file: NAME=value lines and NAME<<DELIMITER heredocs."""
    values: dict[str, str] = {}
    lines = iter(text.splitlines())
    for line in lines:
        if match := re.fullmatch(r"([A-Za-z_][A-Za-z0-9_]*)<<(\S+)", line):
            body = []
            for inner in lines:
                if inner == match.group(2):
                    break
                body.append(inner)
            values[match.group(1)] = "\n".join(body)
        else:
            name, _, value = line.partition("=")
            values[name] = value
    return values


def parse_lines(text: str) -> dict[str, str]:
    return dict(line.split("=", 1) for line in text.splitlines() if line)


def read_back(fmt: str, text: str) -> dict[str, Any]:
    if fmt == "yaml":
        loaded: dict[str, Any] = yaml.safe_load(text)
        return loaded
    if fmt == "k8s":
        secret = yaml.safe_load(text)
        assert (secret["kind"], secret["type"]) == ("Secret", "Opaque")
        assert secret["metadata"] == {"name": "web-config", "namespace": "shop"}
        return {k: base64.b64decode(v).decode() for k, v in secret["data"].items()}
    return parse_github(text) if fmt == "github" else parse_lines(text)


@pytest.fixture(scope="module")
def exported(
    tmp_path_factory: pytest.TempPathFactory, config_template: Template
) -> tuple[Path, dict[str, Result]]:
    root = tmp_path_factory.mktemp("config-export")
    envkeep = copy_of(config_template, root)
    started = {
        fmt: envkeep.popen(
            "export", "-e", "dev", "-s", svc, "-f", fmt, "-o", str(root / fmt), *extra
        )
        for fmt, (svc, extra) in EXPORTS.items()
    }
    started |= {
        svc: envkeep.popen("export", "-e", "dev", "-s", svc, "-f", "json") for svc in ("api", "web")
    }
    started |= {  # no --name: the Secret is named after the service, or the project
        "k8s:web": envkeep.popen("export", "-e", "dev", "-s", "web", "-f", "k8s"),
        "k8s:shared": envkeep.popen("export", "-e", "dev", "-f", "k8s"),
    }
    return root, collect(started)


@pytest.mark.parametrize("fmt", list(EXPORTS))
def test_export_to_a_file_is_0600_and_reads_back_to_the_resolved_values(
    exported: tuple[Path, dict[str, Result]], fmt: str
) -> None:
    root, results = exported
    service = EXPORTS[fmt][0]

    assert results[fmt].code == 0, results[fmt].describe()
    assert results[fmt].stdout == ""
    written = root / fmt
    assert stat.S_IMODE(written.stat().st_mode) == 0o600
    expected = json.loads(results[service].stdout)
    assert read_back(fmt, written.read_text(encoding="utf-8")) == expected
    if service == "web":
        assert expected["WELCOME_TEXT"] == "Hello\nWorld"


def test_export_to_an_existing_file_replaces_it_only_with_force(
    envkeep: Envkeep, config_tree: Path
) -> None:
    schema = config_tree / "services" / "web" / ".env.example"
    before = schema.read_bytes()

    refused, forced = envkeep.many(
        ("export", "--env", "dev", "--service", "web", "-o", str(schema)),
        ("export", "--env", "dev", "--service", "api", "-o", str(config_tree / "api.env")),
    )
    assert refused.code == 1, refused.describe()
    assert_one_line_error(refused, "exists")
    assert "--force" in refused.stderr
    assert schema.read_bytes() == before
    assert forced.code == 0, forced.describe()

    replaced = quick_ok(
        envkeep, "export", "--env", "dev", "--service", "web", "-o", str(schema), "--force"
    )
    assert "wrote" in replaced.stderr
    assert schema.read_bytes() != before
    assert stat.S_IMODE(schema.stat().st_mode) == 0o600


def test_a_k8s_export_without_a_name_names_the_secret_after_its_service_or_project(
    exported: tuple[Path, dict[str, Result]],
) -> None:
    _, results = exported
    named = {}
    for key in ("k8s:web", "k8s:shared"):
        assert results[key].code == 0, results[key].describe()
        named[key] = yaml.safe_load(results[key].stdout)["metadata"]
        assert f"Secret name: {named[key]['name']}" in results[key].stderr  # said, not silent
    assert named == {"k8s:web": {"name": "web"}, "k8s:shared": {"name": "shop-shared"}}
    assert "Secret name" not in results["k8s"].stderr  # --name given: nothing to say
