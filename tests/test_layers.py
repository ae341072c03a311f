"""Imports point down only (DESIGN §3): checked on the source and in a fresh interpreter."""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "envkeep"

# For each layer, the imports it must never make (prefix match on the module name).
FORBIDDEN: dict[str, tuple[str, ...]] = {
    "core": (
        "cryptography",
        "sqlalchemy",
        "alembic",
        "typer",
        "rich",
        "envkeep.app",
        "envkeep.client",
        "envkeep.cli",
        "envkeep.store",
        "envkeep.crypto",
    ),
    "app": ("cryptography", "envkeep.crypto", "envkeep.client", "envkeep.cli", "typer", "rich"),
    "store": ("cryptography", "envkeep.crypto", "envkeep.app", "envkeep.client", "envkeep.cli"),
    "client": ("envkeep.cli", "typer", "rich"),
    "cli": ("sqlalchemy", "alembic", "cryptography", "envkeep.store", "envkeep.crypto"),
}


def imported_modules(path: Path) -> set[str]:
    """Every module a source file imports, at any depth (lazy imports included)."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def violations(layer: str) -> list[str]:
    found = []
    for path in sorted((PACKAGE / layer).rglob("*.py")):
        for module in imported_modules(path):
            for banned in FORBIDDEN[layer]:
                if module == banned or module.startswith(banned + "."):
                    found.append(f"{path.relative_to(PACKAGE)} imports {module}")
    return found


@pytest.mark.parametrize("layer", sorted(FORBIDDEN))
def test_layer_imports_point_down_only(layer: str) -> None:
    assert violations(layer) == []


def test_the_checker_catches_a_forbidden_import(tmp_path: Path) -> None:
    bad = tmp_path / "bad.py"
    bad.write_text("def f():\n    from cryptography.hazmat import primitives\n")
    assert "cryptography.hazmat" in imported_modules(bad)


def test_crypto_is_the_only_module_that_imports_cryptography() -> None:
    """One module of the crypto package is the boundary to pyca/cryptography."""
    users = [
        str(path.relative_to(PACKAGE))
        for path in PACKAGE.rglob("*.py")
        if any(m == "cryptography" or m.startswith("cryptography.") for m in imported_modules(path))
    ]
    assert users == ["crypto/_pyca.py"]


def _loaded_by(modules: list[str], packages: set[str]) -> list[str]:
    """Which modules of ``packages`` a fresh interpreter holds after importing ``modules``."""
    code = (
        "import importlib, sys\n"
        f"for m in {modules!r}: importlib.import_module(m)\n"
        f"print(sorted(m for m in sys.modules if m.split('.')[0] in {packages!r}))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    loaded: list[str] = ast.literal_eval(out.stdout.strip())
    return loaded


def _modules_of(*layers: str) -> list[str]:
    return sorted(
        f"envkeep.{layer}.{p.stem}"
        for layer in layers
        for p in (PACKAGE / layer).glob("*.py")
        if p.stem != "__init__"
    )


def test_importing_every_app_module_loads_no_cryptography() -> None:
    assert _loaded_by(_modules_of("app"), {"cryptography"}) == []


def test_the_run_path_imports_neither_sqlalchemy_nor_typer() -> None:
    run_path = [
        "envkeep.cli.fast",
        "envkeep.client.launch",
        "envkeep.client.local",
        "envkeep.cli.state",
    ]
    heavy = {"sqlalchemy", "typer", "rich", "alembic", "keyring"}
    assert _loaded_by(run_path, heavy) == []


def test_importing_every_client_and_cli_module_loads_no_sqlalchemy() -> None:
    """A command against a team server never needs SQLAlchemy (a fifth of a second to import):
    only the embedded store and `envkeep server` load it, when they are used."""
    assert _loaded_by(_modules_of("client", "cli"), {"sqlalchemy", "alembic"}) == []


def test_the_http_client_loads_no_command_line_tool_of_httpx() -> None:
    """httpx would import its CLI (click, Pygments, Rich) with itself: 40 ms of every command
    against a team server (`client/_httpx.py`)."""
    assert _loaded_by(["envkeep.client.http"], {"click", "pygments", "rich"}) == []


def test_the_embedded_write_path_loads_no_sqlalchemy() -> None:
    """A batch of variable writes runs driver SQL only (`app.writes`, `app.audit_append`), so
    `set` on the embedded store goes through `client.local_call` without SQLAlchemy's import."""
    write_path = ["envkeep.app.writes", "envkeep.app.audit_append", "envkeep.client.local_call"]
    assert _loaded_by(write_path, {"sqlalchemy", "alembic"}) == []


def test_set_and_unset_on_the_embedded_store_load_no_sqlalchemy(tmp_path: Path) -> None:
    """The commands themselves, run to the end in a fresh interpreter, write what they should
    (read back) without loading SQLAlchemy; `init` (a migration) still does."""
    env = {
        **os.environ,
        "ENVKEEP_HOME": str(tmp_path / "home"),
        "ENVKEEP_KEYRING": "off",
        "CI": "1",
    }
    project = tmp_path / "demo"
    project.mkdir()
    script = str(Path(sys.executable).parent / "envkeep")
    subprocess.run([script, "init", "demo", "--yes"], cwd=project, env=env, check=True)
    code = (
        "import sys\n"
        "from envkeep.cli.entry import main\n"
        "try:\n"
        "    main(sys.argv[1:])\n"
        "except SystemExit as done:\n"
        "    assert not done.code, done.code\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in {'sqlalchemy', 'alembic'}))\n"
    )
    for args in (("set", "A=1", "B=2", "--env", "dev"), ("unset", "B", "--env", "dev")):
        done = subprocess.run(
            [sys.executable, "-c", code, *args],
            cwd=project, env=env, capture_output=True, text=True, check=True,
        )  # fmt: skip
        assert done.stdout.strip() == "[]", (args, done.stdout, done.stderr)
    listed = subprocess.run(
        [script, "list", "--env", "dev", "--reveal", "--json"],
        cwd=project, env=env, capture_output=True, text=True, check=True,
    )  # fmt: skip
    assert [(v["name"], v["value"]) for v in json.loads(listed.stdout)] == [("A", "1")]
    verified = subprocess.run(
        [script, "audit", "verify"], cwd=project, env=env, capture_output=True, text=True,
        check=False,
    )  # fmt: skip
    assert verified.returncode == 0, verified.stderr  # the events the writes appended chain
