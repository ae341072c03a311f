"""The configuration-manager project the ``test_config_*`` modules work on, and their helpers.

A project ``shop`` with three services under ``services/`` (``api``, ``worker``, ``web``, each
with an annotated ``.env.example``), three environments (dev, staging, prod), a ``postgres``
template in ``.envkeep/templates/`` that ``api`` inherits, and a reference chain (api's
``DATABASE_URL`` is built from the shared ``DB_*`` values, worker's ``API_URL`` from
``${api.PORT}``). It is a template (conftest.Template): a test has its own copy
(``config_tree``), or a module shares one read-only copy (``conftest.copy_of``).

The behaviour under test runs as real `envkeep` processes (independent ones at once); setting
a project up and reading its state back run the console script's ``main`` in this process
(``quick``), which is ten times faster and goes through the same code.

Test modules import the fixtures below by their function names (``*_fixture``) and request them
by their pytest names.
"""

from __future__ import annotations

import json
import os
import pty
import select
import shlex
import subprocess
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from envkeep.client.conflicts import write_planned
from envkeep.client.context import ClientContext
from envkeep.client.reading import read_environment

from .conftest import (
    ENVKEEP,
    Envkeep,
    Homes,
    Result,
    Template,
    collect,
    make_template,
    quick,
    quick_ok,
)

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

SERVICES = ("api", "web", "worker")  # as envkeep.toml and `service list` order them
ENVS = ("dev", "staging", "prod")

API_EXAMPLE = """\
# The HTTP port the API listens on.
# @required @type=port
PORT=8080

# @type=enum(debug,info,warn,error) @default=info
LOG_LEVEL=

# Where the orders live.
# @type=url @secret @required
DATABASE_URL=postgres://user:pass@localhost/db

# Worker processes per pod.
# @type=int @min=1 @max=64 @default=4
WORKERS=
"""

WORKER_EXAMPLE = """\
# Where the API answers.
# @required @type=url
API_URL=http://api:8080

# @type=int @min=1
CONCURRENCY=2
"""

WEB_EXAMPLE = """\
# The public address.
# @required @type=url
PUBLIC_URL=https://shop.example
"""

POSTGRES_TEMPLATE = """\
# Database host.
# @required
DB_HOST=localhost
DB_USER=app
# @secret @required
DB_PASSWORD=
DB_NAME=app
# @secret
DB_ROOT_PASSWORD=insecure-default
"""

DATABASE_URL = "postgres://${DB_USER}:${DB_PASSWORD}@${DB_HOST}/shop"

# What is stored, by environment and scope ("shared" or a service).
STORED: dict[str, dict[str, dict[str, str]]] = {
    "dev": {
        "shared": {"DB_HOST": "db.dev.internal", "DB_PASSWORD": "dev-pass", "LOG_LEVEL": "info"},
        "api": {
            "PORT": "8080",
            "DATABASE_URL": DATABASE_URL,
            "LOG_LEVEL": "debug",
            "EXTRA_DEBUG": "1",  # not in api's schema: an `unknown` warning
        },
        "worker": {
            "API_URL": "http://api:${api.PORT}",
            "CONCURRENCY": "4",
            "RETRY_DELAY": "30s",
            "VERBOSE": "true",
        },
        "web": {
            "PUBLIC_URL": "https://dev.shop.example",
            "PRICE_HINT": "price=$${AMOUNT}",  # `$${` is a literal `${`
            "WELCOME_TEXT": "Hello\nWorld",
        },
    },
    "staging": {
        "shared": {
            "DB_HOST": "db.staging.internal",
            "DB_PASSWORD": "staging-pass",
            "LOG_LEVEL": "info",
            "FEATURE_X": "on",
        },
        "api": {"PORT": "8080", "DATABASE_URL": DATABASE_URL},
    },
    "prod": {
        "shared": {
            "DB_HOST": "db.prod.internal",
            "DB_PASSWORD": "prod-pass",
            "LOG_LEVEL": "info",
            "OLD_FLAG": "1",
        },
        "api": {"PORT": "8443", "DATABASE_URL": DATABASE_URL},
    },
}

# What api resolves to in dev: template defaults < shared < api scope, references expanded.
API_DEV_RESOLVED = {
    "DB_HOST": "db.dev.internal",
    "DB_USER": "app",
    "DB_NAME": "app",
    "DB_ROOT_PASSWORD": "insecure-default",
    "DB_PASSWORD": "dev-pass",
    "LOG_LEVEL": "debug",
    "PORT": "8080",
    "DATABASE_URL": "postgres://app:dev-pass@db.dev.internal/shop",
    "EXTRA_DEBUG": "1",
}

# A child that prints the named variables as JSON (null when unset).
PRINT_ENV = "import json, os, sys; print(json.dumps({n: os.environ.get(n) for n in sys.argv[1:]}))"


def write_tree(root: Path) -> None:
    """The project's files before `envkeep init`."""
    for service, example in (
        ("api", API_EXAMPLE),
        ("worker", WORKER_EXAMPLE),
        ("web", WEB_EXAMPLE),
    ):
        directory = root / "services" / service
        directory.mkdir(parents=True, exist_ok=True)
        (directory / ".env.example").write_text(example, encoding="utf-8")
    templates = root / ".envkeep" / "templates"
    templates.mkdir(parents=True, exist_ok=True)
    (templates / "postgres.env").write_text(POSTGRES_TEMPLATE, encoding="utf-8")


def set_args(env: str, scope: str, values: Mapping[str, str]) -> tuple[str, ...]:
    """The `envkeep set` that stores ``values`` in one scope."""
    service = () if scope == "shared" else ("--service", scope)
    return ("set", *(f"{k}={v}" for k, v in values.items()), "--env", env, *service)


def build_config_project(runner: Envkeep) -> None:
    """`init --yes` (services discovered), the template applied, every STORED value set, each
    command run in this process (``quick``)."""
    write_tree(runner.cwd)
    quick_ok(runner, "init", "shop", *(a for env in ENVS for a in ("--env", env)), "--yes")
    quick_ok(runner, "template", "apply", "postgres", "--service", "api")
    for env, scopes in STORED.items():
        for scope, values in scopes.items():
            quick_ok(runner, *set_args(env, scope, values))


@pytest.fixture(scope="session", name="config_template")
def config_template_fixture(tmp_path_factory: pytest.TempPathFactory, homes: Homes) -> Template:
    """The configuration project, once per backend."""
    root = tmp_path_factory.mktemp(f"config-{homes.backend}")
    return make_template(homes, root, build_config_project)


@pytest.fixture(name="config_tree")
def config_tree_fixture(envkeep: Envkeep, config_template: Template) -> Path:
    """This test's own copy of the configuration project, in ``envkeep``'s directory."""
    config_template.apply(envkeep)
    return envkeep.cwd


def store_a_cycle(envkeep: Envkeep, env: str, service: str, *names: str) -> None:
    """A reference cycle ``names[0] -> names[1] -> … -> names[0]`` in what ``service`` sees in
    ``env``: the first name refers to the second in the shared scope, the service's others
    each to the next. `set`, `unset` and `edit` refuse a change that makes or uncovers one, so
    the value that closes it is written past their checks (`write_unchecked`), as two writes
    at once (each checked before the other landed) or an envkeep before those checks left it."""
    first, *others = names
    chain = [*others, first]
    own = {name: f"${{{chain[i + 1]}}}" for i, name in enumerate(others)}
    quick_ok(envkeep, *set_args(env, service, own))
    write_unchecked(envkeep, env, None, {first: f"${{{others[0]}}}"})


def write_unchecked(
    envkeep: Envkeep, env: str, service: str | None, values: Mapping[str, str]
) -> None:
    """Write ``values`` to ``service``'s scope (None: shared) of ``env`` as planned, with none
    of a command's checks (schemas, references)."""
    context = ClientContext(envkeep.settings(), envkeep.cwd)
    try:
        opened = read_environment(context, env)
        writes = opened.plan_writes(opened.scope_for(service), values)
        write_planned(context, opened, writes, confirmed=True)
    finally:
        context.close()


# -- running envkeep ------------------------------------------------------------------------


def run_all(
    envkeep: Envkeep,
    processes: Mapping[str, tuple[str, ...]],
    in_process: Mapping[str, tuple[str, ...]] | None = None,
) -> dict[str, Result]:
    """Start ``processes`` as real `envkeep` processes, run ``in_process`` here (``quick``)
    while they work, then collect them all: independent commands only."""
    started = {key: envkeep.popen(*args) for key, args in processes.items()}
    here = {key: quick(envkeep, *args) for key, args in (in_process or {}).items()}
    return collect(started) | here


# -- reading results ------------------------------------------------------------------------


def values_by_scope(listing: str) -> dict[tuple[str, str], str]:
    """`list --json --reveal` output as {(scope, name): value}."""
    return {(v["scope"], v["name"]): v["value"] for v in json.loads(listing)}


def stored_in(envkeep: Envkeep, env: str, service: str | None = None) -> dict[str, str]:
    """The values stored in one scope (shared when ``service`` is None), by name."""
    scope = service or "shared"
    args = ("list", "--env", env, "--json", "--reveal") + (("-s", service) if service else ())
    listing = values_by_scope(quick_ok(envkeep, *args).stdout)
    return {name: value for (where, name), value in listing.items() if where == scope}


def printed_env(result: Result) -> dict[str, Any]:
    """What a PRINT_ENV child printed."""
    assert result.code == 0, result.describe()
    printed: dict[str, Any] = json.loads(result.stdout)
    return printed


# git with no user or system configuration (a global excludes file could ignore .env).
PLAIN_GIT = {"GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1"}


def git(root: Path, *args: str) -> None:
    subprocess.run(["git", "-C", str(root), *args], check=True, env=os.environ | PLAIN_GIT)


def assert_one_line_error(result: Result, *texts: str) -> None:
    """Failed with one `error:` line (holding ``texts``), at most a hint, no traceback."""
    assert result.code != 0, result.describe()
    assert "Traceback" not in result.stderr, result.describe()
    lines = result.err_lines
    assert lines, result.describe()
    assert lines[0].startswith("error: "), result.describe()
    assert all(text in lines[0] for text in texts), result.describe()
    assert len(lines) <= 2, result.describe()
    if len(lines) == 2:
        assert lines[1].startswith("hint: "), result.describe()


# -- editors and terminals ------------------------------------------------------------------


def editor_env(script: Path) -> dict[str, str | None]:
    """The environment that makes `envkeep edit` run ``script`` (Python) on its buffer."""
    return {"EDITOR": shlex.join([sys.executable, str(script)]), "VISUAL": None}


def answer_prompts(
    envkeep: Envkeep,
    args: Sequence[str],
    answers: Sequence[tuple[bytes, bytes | int]],
    env: Mapping[str, str | None] | None = None,
) -> tuple[int, str]:
    """Run `envkeep` with stdin, stdout and stderr on a pseudo-terminal (CI unset, so it asks),
    and once each answer's prompt has appeared, type its bytes or send its signal (an int):
    its exit code and everything it wrote, each prompt answered shown as ``<asked>``
    (``env``: more of the environment, an editor say)."""
    controller, terminal = pty.openpty()
    process = subprocess.Popen(
        [*ENVKEEP, *args],
        stdin=terminal,
        stdout=terminal,
        stderr=terminal,
        cwd=envkeep.cwd,
        env=envkeep.environ({**(env or {}), "CI": None, "COLUMNS": "200", "NO_COLOR": "1"}),
    )
    os.close(terminal)
    written = bytearray()
    pending = list(answers)
    deadline = time.monotonic() + 60
    try:
        while time.monotonic() < deadline:
            if pending and pending[0][0] in written:
                prompt, answer = pending.pop(0)
                written = written.replace(prompt, b"<asked>", 1)
                if isinstance(answer, int):
                    _await_terminal_read(process.pid)
                    process.send_signal(answer)
                else:
                    os.write(controller, answer)
            if not select.select([controller], [], [], 0.2)[0]:
                if process.poll() is not None and not select.select([controller], [], [], 0.5)[0]:
                    break  # exited, and nothing more to read
                continue
            try:
                chunk = os.read(controller, 65536)
            except OSError:  # EIO: the child closed the terminal
                break
            written += chunk
        try:
            code = process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            shown = written.decode(errors="replace")
            waiting = f"waiting for {pending[0][0]!r}" if pending else "every prompt answered"
            raise AssertionError(f"still running after 70 s ({waiting}): {shown}") from None
    finally:
        process.kill()
        process.wait()
        os.close(controller)
    assert not pending, f"never asked {pending[0][0]!r}: {written.decode(errors='replace')}"
    return code, written.decode(errors="replace")


_READ_SYSCALL = {"x86_64": 0, "aarch64": 63}


def _await_terminal_read(pid: int) -> None:
    """Wait (up to 30 s) until process ``pid`` is blocked reading its stdin. A prompt shows
    just before that read starts, and a signal arriving in between is acted on only when the
    read returns, so the command would sit waiting for an answer (CI saw it). A person at a
    keyboard is never that quick; a test on a loaded machine is."""
    number = _READ_SYSCALL.get(os.uname().machine)
    deadline = time.monotonic() + 30
    while number is not None and time.monotonic() < deadline:
        try:
            current = Path(f"/proc/{pid}/syscall").read_text().split()
        except OSError:
            break  # no /proc (or it exited): send now
        if current[:2] == [str(number), "0x0"]:
            return
        time.sleep(0.02)
    time.sleep(0.5)


def on_terminal(
    envkeep: Envkeep,
    *args: str,
    env: Mapping[str, str | None] | None = None,
    stdin_terminal: bool = False,
    timeout: float = 30,
) -> tuple[int, bytes]:
    """Run `envkeep` with stdout and stderr on a pseudo-terminal (and stdin too, when asked;
    else stdin is an empty pipe): its exit code and everything it wrote there."""
    controller, terminal = pty.openpty()
    size = {"COLUMNS": "200", "LINES": "50", "TERM": "xterm-256color"}
    process = subprocess.Popen(
        [*ENVKEEP, *args],
        stdin=terminal if stdin_terminal else subprocess.DEVNULL,
        stdout=terminal,
        stderr=terminal,
        cwd=envkeep.cwd,
        env=envkeep.environ({**size, **(env or {})}),
    )
    os.close(terminal)
    written = bytearray()
    deadline = time.monotonic() + timeout
    try:
        while (left := deadline - time.monotonic()) > 0:
            if not select.select([controller], [], [], left)[0]:
                continue  # the deadline passed: the wait below fails the test
            try:
                chunk = os.read(controller, 65536)
            except OSError:  # EIO: every writer closed the terminal
                break
            if not chunk:
                break
            written += chunk
        code = process.wait(timeout=max(deadline - time.monotonic(), 0.1))
    finally:
        process.kill()
        process.wait()
        os.close(controller)
    return code, bytes(written)
