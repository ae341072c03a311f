"""Bad input: each is one `error:` line on stderr (with the line number where there is one),
at most a hint, no traceback, and nothing changed.

Every failing command runs as a real process, all at once: the broken project files each get
their own copy of the configuration project; imports and decrypt share one, whose web scope in
dev is listed before and after.
"""

from __future__ import annotations

import json
import shutil
import sys
from dataclasses import dataclass
from typing import TYPE_CHECKING

import pytest

from .config_fixtures import (
    SERVICES,
    assert_one_line_error,
    config_template_fixture,  # noqa: F401 - a fixture, requested by name
)
from .conftest import Result, collect, copy_of, quick_ok

if TYPE_CHECKING:
    from pathlib import Path

    from .conftest import Envkeep, Template

BROKEN_EXAMPLE = "# @required @type=url\nAPI_URL=http://api:8080\nCONCURRENCY 2\n"
UNKNOWN_ANNOTATION = (
    "# @required @type=url\nAPI_URL=http://api:8080\n\n# @foo @type=int\nCONCURRENCY=2\n"
)
BROKEN_TOML = 'project = "shop"\ndefault_env = "dev"\n[services.api\npath = "services/api"\n'
MARKER = "ran.txt"  # what the child of a refused `run` would have written


@dataclass(frozen=True)
class Case:
    project: str  # which copy it runs in
    args: tuple[str, ...]
    texts: tuple[str, ...]  # all in the error line


CASES = {
    "env.example syntax: validate": Case(
        "example", ("validate", "--env", "dev", "--service", "worker"), (".env.example:3:",)
    ),
    "env.example syntax: activate-all": Case(
        "example", ("activate-all", "--env", "dev"), (".env.example:3:",)
    ),
    "unknown annotation: schema show": Case(
        "annotation", ("schema", "show", "worker"), (".env.example:4:", "'@foo'")
    ),
    "unknown annotation: run": Case(
        "annotation",
        ("run", "-e", "dev", "-s", "worker", "--", sys.executable, "-c", f"open({MARKER!r}, 'w')"),
        (".env.example:4:", "'@foo'"),
    ),
    "envkeep.toml syntax: set": Case("toml", ("set", "X=1", "--env", "dev"), ("envkeep.toml:3:",)),
    "envkeep.toml syntax: list": Case("toml", ("list", "--env", "dev"), ("envkeep.toml:3:",)),
    "import a JSON list": Case(
        "base", ("import", "@list.json", "-e", "dev", "-s", "web"), ("list",)
    ),
    "import 50 MB": Case(
        "base", ("import", "@big.env", "-e", "dev", "-s", "web"), ("big.env", "MB")
    ),
    "import non-UTF-8": Case(
        "base", ("import", "@latin1.env", "-e", "dev", "-s", "web"), ("latin1.env:2:", "UTF-8")
    ),
    "import dotenv syntax": Case(
        "base", ("import", "@broken.env", "-e", "dev", "-s", "web"), ("broken.env:2:",)
    ),
    "decrypt tampered": Case(
        "base", ("decrypt", "@tampered.enc", "-o", "@decrypted.env"), ("tampered.enc", "line 2")
    ),
}


@dataclass(frozen=True)
class Outcome:
    projects: dict[str, Envkeep]
    files: Path
    results: dict[str, Result]
    web_before: str
    web_after: str


def write_inputs(files: Path, envkeep: Envkeep) -> None:
    """The bad files the `base` cases read (the big one written once, here)."""
    (files / "list.json").write_text(json.dumps([{"A": "1"}, {"B": "2"}]), encoding="utf-8")
    (files / "big.env").write_bytes(b"A=1\n" * 13_000_000)  # 52 MB
    (files / "latin1.env").write_bytes(b"CITY=Paris\nCAFE=caf\xe9\n")
    (files / "broken.env").write_text("A=1\nnot a variable\nB=2\n", encoding="utf-8")
    plain, sealed = files / "plain.env", files / "sealed.enc"
    plain.write_text("PORT=8080\n", encoding="utf-8")
    quick_ok(envkeep, "encrypt", str(plain), "-o", str(sealed), "--env", "dev")
    lines = sealed.read_text(encoding="utf-8").split("\n")  # the header, then PORT=enc:v1:…
    at = lines[1].index("enc:v1:") + 12
    lines[1] = lines[1][:at] + ("A" if lines[1][at] != "A" else "B") + lines[1][at + 1 :]
    (files / "tampered.enc").write_text("\n".join(lines), encoding="utf-8")


@pytest.fixture(scope="module")
def outcome(tmp_path_factory: pytest.TempPathFactory, config_template: Template) -> Outcome:
    root = tmp_path_factory.mktemp("config-bad-input")
    projects = {
        name: copy_of(config_template, root / name)
        for name in ("base", "example", "annotation", "toml")
    }
    worker = "services/worker/.env.example"
    (projects["example"].cwd / worker).write_text(BROKEN_EXAMPLE, encoding="utf-8")
    (projects["annotation"].cwd / worker).write_text(UNKNOWN_ANNOTATION, encoding="utf-8")
    shutil.copy(projects["toml"].cwd / "envkeep.toml", root / "envkeep.toml.good")
    (projects["toml"].cwd / "envkeep.toml").write_text(BROKEN_TOML, encoding="utf-8")
    files = root / "files"
    files.mkdir()
    write_inputs(files, projects["base"])
    web = ("list", "--env", "dev", "--service", "web", "--json", "--reveal")
    before = quick_ok(projects["base"], *web).stdout

    results = collect(
        {
            key: projects[case.project].popen(
                *(str(files / a[1:]) if a.startswith("@") else a for a in case.args)
            )
            for key, case in CASES.items()
        }
    )

    shutil.copy(root / "envkeep.toml.good", projects["toml"].cwd / "envkeep.toml")
    return Outcome(projects, files, results, before, quick_ok(projects["base"], *web).stdout)


@pytest.mark.parametrize("key", list(CASES))
def test_bad_input_is_one_error_line_with_its_line_number_and_no_traceback(
    outcome: Outcome, key: str
) -> None:
    result = outcome.results[key]

    assert_one_line_error(result, *CASES[key].texts)
    assert result.stdout == ""


def test_failed_imports_and_decrypt_change_nothing(outcome: Outcome) -> None:
    assert outcome.web_after == outcome.web_before
    assert not (outcome.files / "decrypted.env").exists()


def test_a_broken_schema_stops_activation_and_run_before_anything_happens(
    outcome: Outcome,
) -> None:
    example, annotation = outcome.projects["example"].cwd, outcome.projects["annotation"].cwd

    assert not [s for s in SERVICES if (example / "services" / s / ".env").exists()]
    assert not (annotation / MARKER).exists()


def test_a_broken_envkeep_toml_stores_nothing(outcome: Outcome) -> None:
    toml = outcome.projects["toml"]

    listed = json.loads(quick_ok(toml, "list", "--env", "dev", "--json").stdout)

    assert "X" not in [v["name"] for v in listed]
    assert listed  # the project is readable again with the file restored
