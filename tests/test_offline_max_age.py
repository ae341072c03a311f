"""ENVKEEP_MAX_AGE against a real server that stops, with the copies kept of it two hours old:
reads for a human still take them (a day by default) and say how to refuse them; `export` and
`activate-all`, which build files from the values, refuse a copy over an hour old unless the
variable allows it; 0 or off refuses every copy; `run --max-age` wins over the variable; a
malformed value is a usage error, before anything is read."""

from __future__ import annotations

import json
import shutil
import time
from typing import TYPE_CHECKING

import pytest

from tests.server import TeamServer, join, start_server
from tests.server import cli as _cli
from tests.server import quick_ok as _ok

if TYPE_CHECKING:
    from pathlib import Path
    from subprocess import CompletedProcess

API = ("--env", "dev", "--service", "api")
PRINT_PORT = ("--", "sh", "-c", 'printf %s "$PORT"')


class Offline:
    """A checkout with service api, whose copies of dev (every scope) were fetched two hours
    before the server stopped."""

    def __init__(self, root: Path) -> None:
        self.home, self.work = root / "home", root / "work"
        (self.work / "services" / "api").mkdir(parents=True)
        server = start_server(root / "srv")
        try:
            self._kept_copies(server)
        finally:
            server.stop()
        self.fetched(2 * 3600)

    def _kept_copies(self, server: TeamServer) -> None:
        join(server, self.home, self.work, server.invite("ops@off.io"), "ops@off.io")
        _ok(self.home, self.work, "init", "shop")
        _ok(self.home, self.work, "service", "add", "api", "--path", "services/api")
        _ok(self.home, self.work, "set", "PORT=8080", *API)
        _ok(self.home, self.work, "export", *API)  # every scope, as activate-all reads

    def fetched(self, seconds_ago: float) -> None:
        """Make every kept copy as old as if fetched ``seconds_ago``."""
        copies = list(self.home.rglob("snapshots/*/*.json"))
        assert copies
        for path in copies:
            body = json.loads(path.read_text())
            body["fetched_at"] = time.time() - seconds_ago
            path.write_text(json.dumps(body))

    def cli(self, *args: str, **extra: str) -> CompletedProcess[str]:
        return _cli(self.home, self.work, *args, **extra)


@pytest.fixture(scope="module")
def offline(tmp_path_factory: pytest.TempPathFactory) -> Offline:
    return Offline(tmp_path_factory.mktemp("max-age"))


def test_reads_take_a_copy_up_to_a_day_old_and_say_how_old_and_how_to_refuse_it(
    offline: Offline,
) -> None:
    reads = (
        ("get", "PORT", *API),
        ("list", *API),
        ("explain", "PORT", *API),
        ("validate", "--env", "dev", "--all"),
        ("run", *API, *PRINT_PORT),
    )
    for read in reads:
        done = offline.cli(*read)

        assert done.returncode == 0, (read, done.stderr)
        assert (
            "warning: server unreachable; using the copy fetched 2.0 h ago (limit 24h, the"
            " default; refuse kept copies with ENVKEEP_MAX_AGE=off)"
        ) in done.stderr, read


def test_export_refuses_a_copy_over_an_hour_old_by_default(
    offline: Offline, tmp_path: Path
) -> None:
    printed = offline.cli("export", *API, "--format", "json")
    written = offline.cli("export", *API, "--format", "k8s", "-o", str(tmp_path / "s.yaml"))

    for done in (printed, written):
        assert done.returncode == 5, done.stderr
        assert done.stdout == ""
        assert "using the copy" not in done.stderr
        [line, hint] = done.stderr.splitlines()
        assert line.endswith(
            "the copy kept here is 2.0 h old, over the limit of 1h (the default of export and"
            " activate-all)"
        )
        assert hint == (
            "hint: reach the server, or take a copy this old: ENVKEEP_MAX_AGE=3h envkeep …"
        )
    assert not (tmp_path / "s.yaml").exists()


def test_envkeep_max_age_lets_export_take_an_older_copy(offline: Offline, tmp_path: Path) -> None:
    out = tmp_path / "values.json"
    done = offline.cli("export", *API, "--format", "json", "-o", str(out), ENVKEEP_MAX_AGE="3h")

    assert done.returncode == 0, done.stderr
    assert json.loads(out.read_text()) == {"PORT": "8080"}
    assert (
        "using the copy fetched 2.0 h ago (limit 3h, ENVKEEP_MAX_AGE; refuse kept copies with"
        " ENVKEEP_MAX_AGE=off)"
    ) in done.stderr


def test_activate_all_refuses_a_copy_over_an_hour_old_unless_the_variable_allows_it(
    offline: Offline,
) -> None:
    dotenv = offline.work / "services" / "api" / ".env"
    for run in ((), ("--dry-run",)):  # a dry run fails as the run would
        refused = offline.cli("activate-all", "--env", "dev", *run)
        assert refused.returncode == 5, refused.stderr
        assert "over the limit of 1h (the default of export and activate-all)" in refused.stderr
        assert not dotenv.exists()

    done = offline.cli("activate-all", "--env", "dev", ENVKEEP_MAX_AGE="1d")

    assert done.returncode == 0, done.stderr
    assert "PORT=8080" in dotenv.read_text()


@pytest.mark.parametrize("written", ["0", "off"])
def test_0_and_off_refuse_every_copy_for_every_command(offline: Offline, written: str) -> None:
    for read in (("get", "PORT", *API), ("run", *API, *PRINT_PORT), ("export", *API)):
        done = offline.cli(*read, ENVKEEP_MAX_AGE=written)

        assert done.returncode == 5, (read, done.stderr)
        assert "8080" not in done.stdout
        assert f"and ENVKEEP_MAX_AGE={written} refuses kept copies" in done.stderr, read


def test_the_variable_limits_reads_and_run_too(offline: Offline) -> None:
    for read in (
        ("get", "PORT", *API),
        ("validate", "--env", "dev", "--all"),
        ("run", *API, "--", "true"),
    ):
        done = offline.cli(*read, ENVKEEP_MAX_AGE="1h")

        assert done.returncode == 5, (read, done.stderr)
        assert "over the limit of 1h (ENVKEEP_MAX_AGE)" in done.stderr, read


def test_run_max_age_wins_over_the_variable(offline: Offline) -> None:
    taken = offline.cli("run", *API, "--max-age", "3h", *PRINT_PORT, ENVKEEP_MAX_AGE="off")
    refused = offline.cli("run", *API, "--max-age", "1h", "--", "true", ENVKEEP_MAX_AGE="7d")

    assert taken.returncode == 0, taken.stderr
    assert taken.stdout == "8080"
    assert "(limit 3h, --max-age; refuse kept copies with --max-age off)" in taken.stderr
    assert refused.returncode == 5, refused.stderr
    assert "over the limit of 1h (--max-age)" in refused.stderr
    assert "hint: reach the server, or take a copy this old: envkeep run --max-age 3h …" in (
        refused.stderr
    )


@pytest.mark.parametrize("command", [("get", "PORT", *API), ("set", "PORT=1", *API)])
def test_an_invalid_variable_is_a_usage_error_before_anything_is_read(
    offline: Offline, command: tuple[str, ...]
) -> None:
    done = offline.cli(*command, ENVKEEP_MAX_AGE="1hr")

    assert done.returncode == 2, done.stderr
    assert "cannot reach" not in done.stderr  # refused before any request
    [line, hint] = done.stderr.splitlines()
    assert line == "error: ENVKEEP_MAX_AGE is '1hr', not an age"
    assert hint == (
        "hint: give an age (90m, 24h, 7d, or seconds: 3600), or 0 or off to never use a copy"
        " kept for offline reads"
    )


def test_a_home_that_never_read_the_environment_says_it_has_no_copy_to_fall_back_on(
    offline: Offline, tmp_path: Path
) -> None:
    fresh = tmp_path / "fresh-runner"  # logged in, as a CI runner is, but it never read dev
    shutil.copytree(offline.home, fresh)
    for snapshots in fresh.rglob("snapshots"):
        shutil.rmtree(snapshots)

    done = _cli(fresh, offline.work, "run", *API, "--max-age", "7d", *PRINT_PORT)

    assert done.returncode == 5, done.stderr
    hint = done.stderr.splitlines()[-1]
    assert hint.startswith("hint: check the URL and your network"), hint
    assert hint.endswith(
        "; no copy of this environment is kept on this machine to read instead (a read that"
        " reaches the server keeps one)"
    )
