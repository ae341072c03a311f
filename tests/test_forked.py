"""The tests' `envkeep` processes forked from a zygote (tests/forked.py) behave as new ones do:
same output and exit status, their own environment, directory, umask and input, a signal's
status, a timeout, and a new Python where the environment changes what Python reads at start;
and the zygote goes with the test process that started it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests import forked
from tests.server import ENVKEEP, _environ, quick_ok


@pytest.fixture(scope="module")
def place(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """(home, project directory) of a project on the embedded store with PORT=8080 in dev."""
    root = tmp_path_factory.mktemp("forked")
    home, work = root / "home", root / "work"
    home.mkdir()
    work.mkdir()
    quick_ok(home, work, "init", "shop")
    quick_ok(home, work, "set", "PORT=8080", "--env", "dev")
    return home, work


def both(
    place: tuple[Path, Path], *args: str, **extra: str
) -> tuple[forked.Finished, forked.Finished]:
    """``envkeep ARGS`` forked and as a new process (with ``extra`` in the environment): what
    each did (exit status, stdout, stderr)."""
    home, work = place
    env = _environ(home, **extra)
    fork = forked.run([*ENVKEEP, *args], env=env, cwd=work)
    return fork, _new_process([*ENVKEEP, *args], env=env, cwd=work)


@pytest.mark.parametrize(
    "args",
    [
        ("--version",),
        ("--no-such-option",),
        ("list", "--env", "dev"),
        ("get", "PORT", "--env", "dev"),
        ("get", "NOPE", "--env", "dev"),
        ("export", "--env", "dev", "--format", "json"),
        ("run", "--env", "dev", "--", "sh", "-c", "echo $PORT; exit 7"),
        ("run", "--env", "dev", "--", "sh", "-c", "kill -TERM $$"),
    ],
    ids=" ".join,
)
def test_a_forked_command_answers_as_a_new_process_does(
    place: tuple[Path, Path], args: tuple[str, ...]
) -> None:
    fork, new = both(place, *args)
    assert fork == new


@pytest.mark.parametrize(
    "extra",
    [{"TTY_COMPATIBLE": "1"}, {"TTY_COMPATIBLE": "1", "NO_COLOR": "1"}, {"TZ": "Pacific/Auckland"}],
    ids=" ".join,
)
def test_a_forked_command_reads_the_environment_as_a_new_process_does(
    place: tuple[Path, Path], extra: dict[str, str]
) -> None:
    fork, new = both(place, "list", "--env", "dev", **extra)
    assert fork == new


def test_a_forked_command_leaves_the_store_as_a_new_process_does(tmp_path: Path) -> None:
    left = []
    for name, run in (("forked", forked.run), ("new", _new_process)):
        home, work = tmp_path / name / "home", tmp_path / name / "work"
        home.mkdir(parents=True)
        work.mkdir()
        quick_ok(home, work, "init", "shop")
        done = run([*ENVKEEP, "set", "PORT=1", "--env", "dev"], env=_environ(home), cwd=work)
        assert done.returncode == 0, done.stderr
        left.append(sorted(p.relative_to(home).as_posix() for p in home.rglob("*")))
    assert left[0] == left[1]
    assert not [name for name in left[0] if name.endswith(("-wal", "-shm"))]


def _new_process(command: list[str], *, env: dict[str, str], cwd: Path) -> forked.Finished:
    done = subprocess.run(command, capture_output=True, env=env, cwd=cwd, check=False)
    return forked.Finished(done.returncode, done.stdout, done.stderr)


def test_a_forked_command_reads_its_input_to_the_end_and_writes_all_of_its_output(
    place: tuple[Path, Path],
) -> None:
    home, work = place
    text = b"".join(b"LINE_%06d=%s\n" % (i, b"x" * 90) for i in range(20_000))  # 2 MB
    done = forked.run(
        [*ENVKEEP, "run", "--env", "dev", "--", "sh", "-c", "tee /dev/stderr"],
        env=_environ(home),
        cwd=work,
        stdin=text,
    )
    assert (done.returncode, done.stdout, done.stderr) == (0, text, text)


def test_a_forked_command_takes_the_callers_environment_directory_umask_and_input(
    place: tuple[Path, Path],
) -> None:
    home, work = place
    script = 'echo "$GREETING"; pwd; umask; cat'
    before = os.umask(0o027)
    try:
        done = forked.run(
            [*ENVKEEP, "run", "--env", "dev", "--", "sh", "-c", script],
            env=_environ(home, GREETING="hello"),
            cwd=work,
            stdin=b"from the test\n" * 10_000,
        )
    finally:
        os.umask(before)
    lines = done.stdout.decode().splitlines()
    assert done.returncode == 0, done.stderr
    assert lines[:3] == ["hello", str(work), "0027"]
    assert lines[3:] == ["from the test"] * 10_000


def test_a_forked_command_is_a_child_of_the_zygote_unless_python_would_start_differently(
    place: tuple[Path, Path],
) -> None:
    if os.environ.get("ENVKEEP_TEST_FORK") == "0":
        pytest.skip("ENVKEEP_TEST_FORK=0: every command is a new Python")
    home, work = place
    parent = [*ENVKEEP, "run", "--env", "dev", "--", "sh", "-c", "echo $PPID"]
    usual = forked.run(parent, env=_environ(home), cwd=work)
    warned = forked.run(parent, env=_environ(home, PYTHONWARNINGS="error"), cwd=work)
    assert int(usual.stdout) != os.getpid()  # the zygote's child
    assert int(warned.stdout) == os.getpid()  # a new Python, started by this process


def test_a_forked_command_past_its_timeout_is_killed(place: tuple[Path, Path]) -> None:
    home, work = place
    marker = work / "still-running"
    script = f"sleep 1; touch {marker}"
    with pytest.raises(subprocess.TimeoutExpired):
        forked.run(
            [*ENVKEEP, "run", "--env", "dev", "--", "sh", "-c", script],
            env=_environ(home),
            cwd=work,
            timeout=0.3,
        )
    # sh was killed: the file it would make after its sleep never appears.
    subprocess.run(["sleep", "1.5"], check=True)
    assert not marker.exists()


KILLED_CLIENT = """
import os, signal, sys
from pathlib import Path
sys.path.insert(0, {root!r})
from tests import forked
script = {script!r}
done = forked.run([script, "--version"], env={env!r}, cwd=Path.cwd())
assert done.returncode == 0, done
print(forked._zygotes[script]._process.pid, flush=True)
os.kill(os.getpid(), signal.SIGKILL)
"""


def test_the_zygote_ends_with_its_test_process_even_one_killed(tmp_path: Path) -> None:
    env = _environ(tmp_path)
    source = KILLED_CLIENT.format(root=str(Path(__file__).parents[1]), script=ENVKEEP[0], env=env)
    done = subprocess.run(
        [sys.executable, "-c", source], capture_output=True, text=True, env=env, check=False
    )
    assert done.returncode == -signal.SIGKILL, done.stderr
    zygote = Path("/proc") / done.stdout.strip()
    deadline = time.monotonic() + 10
    while zygote.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not zygote.exists()
