"""Fixtures for the CLI tests: a private ENVKEEP_HOME, a project, and the real `envkeep` command.

Every test gets its own ENVKEEP_HOME and project directory. Creating a project costs a few
process starts, so each backend builds one template per session (``shop`` with services
``api`` and ``worker``; a second one with values set) and each test starts from a copy.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from envkeep.cli.entry import main
from envkeep.client.identity import Identity, load_or_create
from envkeep.client.local import LocalBackend
from envkeep.settings import Settings, load_settings

if TYPE_CHECKING:
    from envkeep.client.backend import Backend

BACKENDS = ["local"]  # the HTTP backend joins here ("http") when it exists

# Variables the ``seeded`` project holds in its ``dev`` environment.
SHARED_DEV = {"DATABASE_URL": "postgres://db/shop", "LOG_LEVEL": "info", "PORT": "3000"}
API_DEV = {"PORT": "8080"}


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
    backend_env: Mapping[str, str] = field(default_factory=dict)

    def environ(self, overrides: Mapping[str, str | None] | None = None) -> dict[str, str]:
        """The child's environment: this one without ENVKEEP_*, plus the test's settings."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("ENVKEEP_")}
        env.update(
            {"ENVKEEP_HOME": str(self.home), "ENVKEEP_KEYRING": "off", "CI": "1"},
            **self.backend_env,
        )
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
        # Bytes, decoded here: text mode would turn the child's "\r\n" into "\n".
        done = subprocess.run(
            [*ENVKEEP, *args],
            input=(stdin or "").encode("utf-8"),
            capture_output=True,
            cwd=cwd or self.cwd,
            env=self.environ(env),
            timeout=timeout,
            check=False,
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
    with pytest.raises(SystemExit) as done:
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


def _make_workdir(path: Path) -> Path:
    for service in ("api", "worker"):
        (path / "services" / service).mkdir(parents=True, exist_ok=True)
    return path


def init_shop(envkeep: Envkeep) -> None:
    """`envkeep init shop` plus the services api and worker."""
    envkeep.ok("init", "shop")
    envkeep.ok("service", "add", "api", "--path", "services/api")
    envkeep.ok("service", "add", "worker", "--path", "services/worker")


def seed_shop(envkeep: Envkeep) -> None:
    """Values in dev: DATABASE_URL, LOG_LEVEL, PORT shared; PORT for api."""
    envkeep.ok("set", *(f"{k}={v}" for k, v in SHARED_DEV.items()), "--env", "dev")
    envkeep.ok("set", *(f"{k}={v}" for k, v in API_DEV.items()), "--env", "dev", "-s", "api")


@dataclass(frozen=True)
class Template:
    home: Path
    workdir: Path


Setup = Callable[[Envkeep], None]


def backend_env_for(backend: str) -> dict[str, str]:
    """What an `envkeep` process needs in its environment to use ``backend``."""
    if backend == "local":
        return {}
    raise NotImplementedError(backend)  # pragma: no cover - a backend is added here first


@pytest.fixture(scope="session", params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    """The store the CLI talks to; every CLI test runs once per backend."""
    return str(request.param)


def _template(root: Path, backend: str, steps: list[Setup]) -> Template:
    runner = Envkeep(root / "home", _make_workdir(root / "work"), backend_env_for(backend))
    runner.home.mkdir()
    for step in steps:
        step(runner)
    return Template(runner.home, runner.cwd)


@pytest.fixture(scope="session")
def shop_template(tmp_path_factory: pytest.TempPathFactory, backend: str) -> Template:
    return _template(tmp_path_factory.mktemp(f"shop-{backend}"), backend, [init_shop])


@pytest.fixture(scope="session")
def seeded_template(
    tmp_path_factory: pytest.TempPathFactory, backend: str, shop_template: Template
) -> Template:
    root = tmp_path_factory.mktemp(f"seeded-{backend}")
    if backend != "local":  # pragma: no cover - a server's state is not a directory to copy
        return _template(root, backend, [init_shop, seed_shop])
    runner = copy_of(shop_template, root, backend)
    seed_shop(runner)
    return Template(runner.home, runner.cwd)


@pytest.fixture
def home(tmp_path: Path) -> Path:
    """An empty ENVKEEP_HOME."""
    path = tmp_path / "home"
    path.mkdir()
    return path


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    """A directory with services/api and services/worker, no project yet."""
    return _make_workdir(tmp_path / "work")


@pytest.fixture
def envkeep(home: Path, workdir: Path, backend: str) -> Envkeep:
    """The `envkeep` command, run in ``workdir`` with ``home`` as ENVKEEP_HOME."""
    return Envkeep(home, workdir, backend_env_for(backend))


def copy_template(template: Template, envkeep: Envkeep) -> None:
    """Start ``envkeep``'s home and directory as copies of a template's."""
    shutil.copytree(template.home, envkeep.home, dirs_exist_ok=True)
    shutil.copytree(template.workdir, envkeep.cwd, dirs_exist_ok=True)


def copy_of(template: Template, root: Path, backend: str) -> Envkeep:
    """A runner on a copy of ``template`` under ``root`` (for module-wide, read-only use)."""
    if backend != "local":  # pragma: no cover - a server's state is not a directory to copy
        raise NotImplementedError(backend)
    runner = Envkeep(root / "home", root / "work", backend_env_for(backend))
    copy_template(template, runner)
    return runner


@pytest.fixture
def project(envkeep: Envkeep, shop_template: Template, backend: str) -> Path:
    """`envkeep init shop` done in ``workdir``, services api and worker added."""
    if backend == "local":
        copy_template(shop_template, envkeep)
    else:  # pragma: no cover - a server's state is not a directory to copy
        init_shop(envkeep)
    return envkeep.cwd


@pytest.fixture
def seeded(envkeep: Envkeep, seeded_template: Template, backend: str) -> Path:
    """``project`` with SHARED_DEV in dev's shared scope and API_DEV in api's scope."""
    if backend == "local":
        copy_template(seeded_template, envkeep)
    else:  # pragma: no cover
        init_shop(envkeep)
        seed_shop(envkeep)
    return envkeep.cwd


@pytest.fixture
def identity(envkeep: Envkeep, project: Path) -> Identity:
    """The project's owner identity, unlocked in this process."""
    return load_or_create(envkeep.settings())


@pytest.fixture
def store_backend(envkeep: Envkeep, identity: Identity, backend: str) -> Iterator[Backend]:
    """The backend the CLI uses, opened in this process on the project's store."""
    if backend != "local":  # pragma: no cover
        raise NotImplementedError(backend)
    opened = LocalBackend(envkeep.settings().database_path, identity)
    yield opened
    opened.close()
