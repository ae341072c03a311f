"""Reads of the embedded store load no HTTP client: keeping a copy for reads offline is a
team server's business (`kept_copies.keep_opened`), and importing `client/http` to ask whether
the backend is one loaded httpx on every `get`, `list`, `export` and `history` (a third of a
`get`'s time in a project of 9,000 variables)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

_RUN_AND_LIST_MODULES = (
    "import sys\n"
    "from envkeep.cli.entry import main\n"
    "try:\n"
    "    main(sys.argv[1:])\n"
    "except SystemExit as done:\n"
    "    assert not done.code, done.code\n"
    "print(sorted(m for m in sys.modules if m.split('.')[0] == 'httpx'"
    " or m == 'envkeep.client.http'), file=sys.stderr)\n"
)


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    root = tmp_path_factory.mktemp("embedded")
    env = {**os.environ, "ENVKEEP_HOME": str(root / "home"), "ENVKEEP_KEYRING": "off", "CI": "1"}
    script = str(Path(sys.executable).parent / "envkeep")
    subprocess.run([script, "init", "demo", "--yes"], cwd=root, env=env, check=True)
    subprocess.run([script, "set", "A=1", "--env", "dev"], cwd=root, env=env, check=True)
    subprocess.run([script, "set", "A=2", "--env", "dev"], cwd=root, env=env, check=True)
    return root, env


@pytest.mark.parametrize(
    ("args", "printed"),
    [
        (("get", "A", "--env", "dev"), "2\n"),
        (("list", "--env", "dev", "--reveal", "--json"), '"value": "2"'),
        (("export", "--env", "dev"), "A=2\n"),
        (("history", "A", "--env", "dev", "--reveal", "--json"), '"value": "1"'),
    ],
    ids=["get", "list", "export", "history"],
)
def test_a_read_of_the_embedded_store_loads_no_http_client(
    project: tuple[Path, dict[str, str]], args: tuple[str, ...], printed: str
) -> None:
    root, env = project
    done = subprocess.run(
        [sys.executable, "-c", _RUN_AND_LIST_MODULES, *args],
        cwd=root, env=env, capture_output=True, text=True, check=True,
    )  # fmt: skip

    assert printed in done.stdout
    assert done.stderr.strip().splitlines()[-1] == "[]", done.stderr
