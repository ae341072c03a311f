"""Fixtures for the CLI tests: a private ENVKEEP_HOME, a project, and the real `envkeep` command,
on each backend: the embedded store (``local``) and a team server (``http``).

Every test gets its own ENVKEEP_HOME and project directory. On ``http`` the home is logged in
to an account of its own, founding its own workspace on the session's server (started when the
first http test needs it), so tests never see each other's projects. Projects are set up by
templates (``shop`` with services ``api`` and ``worker``; a second one with values set), run
in this process: the embedded store's result is built once and copied per test; a server's
state is not a directory to copy, so on ``http`` each test replays the template's steps.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from envkeep.cli.entry import main
from envkeep.client.context import ClientContext
from envkeep.settings import Settings, load_settings
from tests import forked
from tests.inprocess import in_process_cli, run_main
from tests.server import TeamServer, start_server

from .accounts import PASSPHRASE, Accounts

if TYPE_CHECKING:
    from envkeep.client.backend import Backend
    from envkeep.client.identity import Identity

BACKENDS = ["local", "http"]

# Variables the ``seeded`` project holds in its ``dev`` environment.
SHARED_DEV = {"DATABASE_URL": "postgres://db/shop", "LOG_LEVEL": "info", "PORT": "3000"}
API_DEV = {"PORT": "8080"}
# What the seeded projects store that no server log, table or metric may show in clear.
PLANTED = ("DATABASE_URL", "postgres://db/shop", "LOG_LEVEL", PASSPHRASE)


def _console_script() -> list[str]:
    """The installed `envkeep` script next to this interpreter, else `python -m envkeep`."""
    script = shutil.which("envkeep", path=str(Path(sys.executable).parent))
    return [script] if script else [sys.executable, "-m", "envkeep"]


ENVKEEP = _console_script()


@dataclass(frozen=True)
class Result:
    """What one `envkeep` process did."""

    code: int
    stdout: str
    stderr: str

    @property
    def err_lines(self) -> list[str]:
        return self.stderr.splitlines()

    def describe(self) -> str:
        return f"exit {self.code}\n--- stdout\n{self.stdout}--- stderr\n{self.stderr}"


@dataclass(frozen=True)
class Envkeep:
    """Runs the real console script in one ENVKEEP_HOME and working directory."""

    home: Path
    cwd: Path

    def environ(self, overrides: Mapping[str, str | None] | None = None) -> dict[str, str]:
        """The child's environment: this one without ENVKEEP_*, plus the test's settings."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("ENVKEEP_")}
        env.update({"ENVKEEP_HOME": str(self.home), "ENVKEEP_KEYRING": "off", "CI": "1"})
        for key, value in (overrides or {}).items():
            if value is None:
                env.pop(key, None)
            else:
                env[key] = value
        return env

    def __call__(
        self,
        *args: str,
        stdin: str | None = None,
        cwd: Path | None = None,
        env: Mapping[str, str | None] | None = None,
        timeout: float = 60,
    ) -> Result:
        # A real process, forked from one that has imported envkeep (tests/forked.py). Bytes,
        # decoded here: text mode would turn the child's "\r\n" into "\n".
        done = forked.run(
            [*ENVKEEP, *args],
            stdin=(stdin or "").encode("utf-8"),
            cwd=cwd or self.cwd,
            env=self.environ(env),
            timeout=timeout,
        )
        return Result(done.returncode, done.stdout.decode(), done.stderr.decode())

    def ok(
        self,
        *args: str,
        stdin: str | None = None,
        env: Mapping[str, str | None] | None = None,
    ) -> Result:
        """Run and insist on exit code 0."""
        result = self(*args, stdin=stdin, env=env)
        assert result.code == 0, f"envkeep {' '.join(args)}: {result.describe()}"
        return result

    def popen(
        self,
        *args: str,
        cwd: Path | None = None,
        env: Mapping[str, str | None] | None = None,
    ) -> subprocess.Popen[bytes]:
        """Start `envkeep` without waiting (for signals, or to run several at once)."""
        return subprocess.Popen(
            [*ENVKEEP, *args],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            cwd=cwd or self.cwd,
            env=self.environ(env),
        )

    def many(self, *commands: tuple[str, ...]) -> list[Result]:
        """Run independent commands at once; their results in order."""
        started = {str(i): self.popen(*args) for i, args in enumerate(commands)}
        return list(collect(started).values())

    def settings(self, **overrides: str) -> Settings:
        """The settings an `envkeep` process started by this runner reads."""
        return load_settings(
            {"ENVKEEP_HOME": str(self.home), "ENVKEEP_KEYRING": "off", **overrides}
        )


def run_in_process(
    envkeep: Envkeep,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    *args: str,
    cwd: Path | None = None,
) -> Result:
    """``envkeep.cli.entry.main(argv)`` (the console script's body) in this process, with the
    runner's environment and directory. Never for a `run` that could succeed: it would exec."""
    for key in [k for k in os.environ if k.startswith("ENVKEEP_")]:
        monkeypatch.delenv(key)
    for key, value in envkeep.environ().items():
        monkeypatch.setenv(key, value)
    monkeypatch.chdir(cwd or envkeep.cwd)
    capsys.readouterr()
    with in_process_cli(monkeypatch), pytest.raises(SystemExit) as done:
        main(list(args))
    out, err = capsys.readouterr()
    code = done.value.code
    return Result(code if isinstance(code, int) else 1, out, err)


def wait_for_file(
    path: Path, process: subprocess.Popen[bytes] | None = None, timeout: float = 20.0
) -> None:
    """Poll until ``path`` exists; fail if ``process`` ends first or after ``timeout`` s."""
    deadline = time.monotonic() + timeout
    while not path.exists():
        if process is not None and process.poll() is not None:
            out, err = process.communicate()
            pytest.fail(f"exited {process.returncode} before {path.name} appeared: {out!r} {err!r}")
        if time.monotonic() > deadline:
            pytest.fail(f"{path} did not appear within {timeout} s")
        time.sleep(0.01)


def collect(started: Mapping[str, subprocess.Popen[bytes]]) -> dict[str, Result]:
    """Wait for processes started with ``Envkeep.popen`` (independent commands run at once)."""
    results = {}
    for key, process in started.items():
        stdout, stderr = process.communicate(timeout=60)
        results[key] = Result(process.returncode, stdout.decode(), stderr.decode())
    return results


def quick(
    envkeep: Envkeep,
    *args: str,
    env: Mapping[str, str | None] | None = None,
    cwd: Path | None = None,
) -> Result:
    """``envkeep ARGS`` run in this process (tests/inprocess.py) with the runner's environment
    and directory: for setting a project up and for reading its state."""
    return Result(*run_main(args, envkeep.environ(env), cwd or envkeep.cwd))


def quick_ok(envkeep: Envkeep, *args: str, env: Mapping[str, str | None] | None = None) -> Result:
    """``quick``, insisting on exit code 0."""
    result = quick(envkeep, *args, env=env)
    assert result.code == 0, f"envkeep {' '.join(args)}: {result.describe()}"
    return result


# -- backends, homes and projects -------------------------------------------------------------


@dataclass(frozen=True)
class Homes:
    """Makes the ENVKEEP_HOMEs of one backend: empty ones for the embedded store; for
    ``http``, each logged in to a new account (and workspace) on the session's server."""

    backend: str
    accounts: Accounts | None = None

    @property
    def server(self) -> TeamServer | None:
        """The team server (``http`` only)."""
        return None if self.accounts is None else self.accounts.server

    def new(self, path: Path) -> Path:
        """A new home at ``path``."""
        path.mkdir(parents=True)
        if self.accounts is not None:
            self.accounts.join(path)
        return path

    def runner(self, root: Path) -> Envkeep:
        """A runner with a new home (``root/home``) in the directory ``root/work``."""
        home = self.new(root / "home")
        work = root / "work"
        work.mkdir(parents=True, exist_ok=True)
        return Envkeep(home, work)


Setup = Callable[[Envkeep], None]


@dataclass(frozen=True)
class Template:
    """A project made by ``steps`` (in-process commands) in a new home and directory.

    On the embedded store the steps run once, and ``built`` holds the resulting home and
    directory, copied for each user of the template; on a server they run again for each
    (the project lives in the server's database, in the account's own workspace).
    """

    homes: Homes
    steps: tuple[Setup, ...]
    built: tuple[Path, Path] | None = None

    def apply(self, envkeep: Envkeep) -> None:
        """Give ``envkeep`` (a new home, a directory without a project) the project."""
        if self.built is None:
            for step in self.steps:
                step(envkeep)
            return
        home, workdir = self.built
        shutil.copytree(home, envkeep.home, dirs_exist_ok=True)
        shutil.copytree(workdir, envkeep.cwd, dirs_exist_ok=True)


def make_template(homes: Homes, root: Path, *steps: Setup) -> Template:
    """The template of ``steps``, built under ``root`` now if the backend's state can be
    copied (the embedded store)."""
    if homes.accounts is not None:
        return Template(homes, steps)
    runner = homes.runner(root)
    for step in steps:
        step(runner)
    return Template(homes, steps, (runner.home, runner.cwd))


def copy_of(template: Template, root: Path) -> Envkeep:
    """A runner under ``root`` with its own copy of ``template`` (for module-wide use)."""
    runner = template.homes.runner(root)
    template.apply(runner)
    return runner


def _make_workdir(path: Path) -> Path:
    for service in ("api", "worker"):
        (path / "services" / service).mkdir(parents=True, exist_ok=True)
    return path


def embedded_shop(root: Path) -> Envkeep:
    """A project shop on the embedded store (environments dev, staging, prod), its home and
    checkout under ``root``."""
    (root / "home").mkdir()
    (root / "work").mkdir()
    envkeep = Envkeep(root / "home", root / "work")
    quick_ok(envkeep, "init", "shop")
    return envkeep


def init_shop(envkeep: Envkeep) -> None:
    """`envkeep init shop` plus the services api and worker."""
    _make_workdir(envkeep.cwd)
    quick_ok(envkeep, "init", "shop")
    quick_ok(envkeep, "service", "add", "api", "--path", "services/api")
    quick_ok(envkeep, "service", "add", "worker", "--path", "services/worker")


def seed_shop(envkeep: Envkeep) -> None:
    """Values in dev: DATABASE_URL, LOG_LEVEL, PORT shared; PORT for api."""
    quick_ok(envkeep, "set", *(f"{k}={v}" for k, v in SHARED_DEV.items()), "--env", "dev")
    quick_ok(envkeep, "set", *(f"{k}={v}" for k, v in API_DEV.items()), "--env", "dev", "-s", "api")


@pytest.fixture(scope="session", params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    """The store the CLI talks to; every CLI test runs once per backend."""
    return str(request.param)


@pytest.fixture(scope="session")
def team_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TeamServer]:
    """A real `envkeep server` process (SQLite), for the whole session. Every CLI test of
    both workers comes from 127.0.0.1, several commands at once, each a few requests (a write
    reads its environment again where a copy is kept): the per-address limit (50 a second by
    default; the limits have tests of their own) is raised so that it throttles none of them."""
    server = start_server(tmp_path_factory.mktemp("team"), None, "--rate", "1000")
    yield server
    try:
        # The whole suite ran against it: no name or value it stored shows in clear anywhere.
        assert server.leaks(PLANTED) == []
    finally:
        server.stop()


@pytest.fixture(scope="session")
def homes(backend: str, request: pytest.FixtureRequest) -> Homes:
    """How this backend's homes are made (the server starts with the first http test)."""
    if backend == "local":
        return Homes(backend)
    return Homes(backend, Accounts(request.getfixturevalue("team_server")))


def local_only(homes: Homes, why: str) -> None:
    """Skip on a server backend: ``why`` says what the test checks that only the embedded
    store has."""
    if homes.accounts is not None:
        pytest.skip(f"embedded store only: {why}")


def server_only(homes: Homes, why: str) -> None:
    """Skip on the embedded store: ``why`` says what exists on a team server only."""
    if homes.accounts is None:
        pytest.skip(f"team server only: {why}")


@pytest.fixture(scope="session")
def shop_template(tmp_path_factory: pytest.TempPathFactory, homes: Homes) -> Template:
    return make_template(homes, tmp_path_factory.mktemp(f"shop-{homes.backend}"), init_shop)


@pytest.fixture(scope="session")
def seeded_template(tmp_path_factory: pytest.TempPathFactory, homes: Homes) -> Template:
    root = tmp_path_factory.mktemp(f"seeded-{homes.backend}")
    return make_template(homes, root, init_shop, seed_shop)


@pytest.fixture
def home(tmp_path: Path, homes: Homes) -> Path:
    """An ENVKEEP_HOME without a project (logged in to its own account on ``http``)."""
    return homes.new(tmp_path / "home")


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    """A directory with services/api and services/worker, no project yet."""
    return _make_workdir(tmp_path / "work")


@pytest.fixture
def envkeep(home: Path, workdir: Path) -> Envkeep:
    """The `envkeep` command, run in ``workdir`` with ``home`` as ENVKEEP_HOME."""
    return Envkeep(home, workdir)


@pytest.fixture
def project(envkeep: Envkeep, shop_template: Template) -> Path:
    """`envkeep init shop` done in ``workdir``, services api and worker added."""
    shop_template.apply(envkeep)
    return envkeep.cwd


@pytest.fixture
def seeded(envkeep: Envkeep, seeded_template: Template) -> Path:
    """``project`` with SHARED_DEV in dev's shared scope and API_DEV in api's scope."""
    seeded_template.apply(envkeep)
    return envkeep.cwd


@pytest.fixture
def client(envkeep: Envkeep, project: Path) -> Iterator[ClientContext]:
    """What a command run in the project's directory works with, made in this process."""
    context = ClientContext(envkeep.settings(), project)
    yield context
    context.close()


@pytest.fixture
def identity(client: ClientContext) -> Identity:
    """The project's owner identity (the account's, on a server), unlocked in this process."""
    return client.identity


@pytest.fixture
def store_backend(client: ClientContext) -> Backend:
    """The backend the CLI uses on the project, opened in this process."""
    return client.backend
