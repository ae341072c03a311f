"""`envkeep run` finds the command where os.execvpe would, looking it up only once."""

from __future__ import annotations

import subprocess
import sys
from typing import TYPE_CHECKING

from envkeep.client.runner import _on_path, child_environment
from envkeep.settings import load_settings

if TYPE_CHECKING:
    from pathlib import Path


def _executable(path: Path) -> Path:
    path.write_text("#!/bin/sh\n")
    path.chmod(0o755)
    return path


def test_the_first_executable_file_on_the_path_is_chosen(tmp_path: Path) -> None:
    for name in ("a", "b", "c", "d"):
        (tmp_path / name).mkdir()
    (tmp_path / "a" / "tool").mkdir()  # a directory of that name is not a command
    (tmp_path / "b" / "tool").write_text("not executable\n")
    found = _executable(tmp_path / "c" / "tool")
    _executable(tmp_path / "d" / "tool")
    path = ":".join(str(tmp_path / name) for name in ("a", "b", "c", "d"))
    assert _on_path("tool", {"PATH": path}) == str(found)


def test_no_lookup_for_a_path_or_a_missing_command(tmp_path: Path) -> None:
    _executable(tmp_path / "tool")
    assert _on_path("./tool", {"PATH": str(tmp_path)}) is None
    assert _on_path("missing", {"PATH": str(tmp_path)}) is None


def test_the_command_gets_the_values_but_none_of_envkeeps_credentials() -> None:
    base = {
        "PATH": "/bin",
        "ENVKEEP_PASSPHRASE": "unlocks the identity",
        "ENVKEEP_NEW_PASSPHRASE": "the next one",
        "ENVKEEP_FILE_PASSPHRASE": "opens a committed file",
        "ENVKEEP_TOKEN": "ek_sa_reads_every_environment_it_may",
        "ENVKEEP_SERVER": "https://keep.example.com",
    }
    env = child_environment(base, {"PORT": "8080", "PATH": "/opt/bin"})
    assert env == {
        "PATH": "/opt/bin",
        "ENVKEEP_SERVER": "https://keep.example.com",
        "PORT": "8080",
        # names, never values
        "ENVKEEP_WITHHELD": (
            "ENVKEEP_PASSPHRASE,ENVKEEP_NEW_PASSPHRASE,ENVKEEP_FILE_PASSPHRASE,ENVKEEP_TOKEN"
        ),
    }
    passed = child_environment(base, {}, pass_token=True)
    assert passed["ENVKEEP_TOKEN"] == base["ENVKEEP_TOKEN"]
    assert "ENVKEEP_PASSPHRASE" not in passed
    assert passed["ENVKEEP_WITHHELD"] == (
        "ENVKEEP_PASSPHRASE,ENVKEEP_NEW_PASSPHRASE,ENVKEEP_FILE_PASSPHRASE"
    )
    assert "ENVKEEP_WITHHELD" not in child_environment({"PATH": "/bin"}, {})
    nested = {"ENVKEEP_TOKEN": "ek_sa_x", "ENVKEEP_WITHHELD": "ENVKEEP_TOKEN"}  # an outer run's
    assert "ENVKEEP_WITHHELD" not in child_environment(nested, {}, pass_token=True)


def test_an_envkeep_under_run_says_which_credential_run_kept_back() -> None:
    settings = load_settings({"ENVKEEP_WITHHELD": "ENVKEEP_PASSPHRASE,ENVKEEP_TOKEN"})
    assert settings.withheld_hint("ENVKEEP_TOKEN") == (
        "this runs under `envkeep run`, which keeps ENVKEEP_TOKEN from its command"
        " (pass it on with: envkeep run --pass-token)"
    )
    assert "ENVKEEP_PASSPHRASE from its command" in str(
        settings.withheld_hint("ENVKEEP_PASSPHRASE")
    )
    assert load_settings({}).withheld_hint("ENVKEEP_TOKEN") is None


def _start_failure_of(environment: str) -> tuple[str, str]:
    """The exit code and message ``exec_command(['true'], ENVIRONMENT)`` fails with, in a
    child process: were the command to start, it would replace that process."""
    script = (
        "from envkeep.client.runner import exec_command\n"
        "from envkeep.core.errors import InputError\n"
        "try:\n"
        f"    exec_command(['true'], {environment})\n"
        "except InputError as error:\n"
        "    print(error.exit_code, error.message)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    code, message = done.stdout.split(" ", 1)
    return code, message


def test_an_environment_too_large_to_start_with_is_named_with_its_largest_variable() -> None:
    many = "{'PATH': '/usr/bin:/bin', **{f'V{i}': 'x' * 100_000 for i in range(30)}}"
    code, message = _start_failure_of(many)
    assert code == "1"
    assert "its environment is 3,00" in message
    assert "more than the system takes (about 2 MiB in all" in message
    assert "the largest here is V" in message


def test_one_variable_over_what_linux_takes_is_named_as_such() -> None:
    code, message = _start_failure_of("{'PATH': '/usr/bin:/bin', 'BIG': 'x' * 200_000, 'A': '1'}")
    assert code == "1"
    assert "BIG is 200,005 bytes, more than the 128 KiB one variable may hold" in message


def test_a_command_that_did_not_start_leaves_the_signal_actions_as_they_were() -> None:
    """``exec_command`` gives the command SIGPIPE's default action; when no command starts,
    the process goes on (the CLI's error, or a test runner calling it in-process) and must not
    then die of SIGPIPE at a write to a closed pipe (an xdist worker did, silently)."""
    script = (
        "import os, signal\n"
        "from envkeep.client.runner import exec_command\n"
        "from envkeep.core.errors import EnvkeepError\n"
        "for argv, env in ((['no-such-command-here'], {'PATH': '/nonexistent'}),\n"
        "                  (['true'], {'PATH': '/usr/bin:/bin', 'BLOB': 'x\\0y'})):\n"
        "    try:\n"
        "        exec_command(argv, env)\n"
        "    except EnvkeepError:\n"
        "        pass\n"
        "print(signal.getsignal(signal.SIGPIPE) is signal.SIG_IGN,\n"
        "      signal.getsignal(signal.SIGXFSZ) is signal.SIG_IGN)\n"
        "read, write = os.pipe()\n"
        "os.close(read)\n"
        "try:\n"
        "    os.write(write, b'x')\n"
        "except BrokenPipeError:\n"
        "    print('alive')\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, (done.returncode, done.stderr)
    assert done.stdout.split() == ["True", "True", "alive"]
