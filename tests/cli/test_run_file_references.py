"""`run --file`: a file's `${NAME}` is expanded as docker compose and dotenvx expand it (from
the file, else from the environment run starts with); single quotes, `\\${` (quoted or not)
and `$${` keep a literal `${`; a reference to nothing stops the run, naming it, before the
command starts."""

from __future__ import annotations

import json
import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pathlib import Path

    from .conftest import Envkeep

PRINT = "import json, os, sys; print(json.dumps({n: os.environ.get(n) for n in sys.argv[1:]}))"
FILE = (
    "HOST=db.internal\n"
    "URL=postgres://${HOST}:${DB_PORT}/shop\n"  # DB_PORT from the environment run starts with
    "ESCAPED=a$${b}\n"
    "QUOTED='c${d}'\n"
    'DOUBLE="${HOST}/\\${e}"\n'
    "UNQUOTED=${HOST}/\\${f}\n"
)
EXPECTED = {
    "HOST": "db.internal",
    "URL": "postgres://db.internal:5432/shop",
    "ESCAPED": "a${b}",
    "QUOTED": "c${d}",
    "DOUBLE": "db.internal/${e}",
    "UNQUOTED": "db.internal/${f}",
}


def _ran(envkeep: Envkeep, source: Path) -> dict[str, str | None]:
    result = envkeep.ok(
        "run", "--file", str(source), "--", sys.executable, "-c", PRINT, *EXPECTED,
        env={"DB_PORT": "5432"},
    )  # fmt: skip
    found: dict[str, str | None] = json.loads(result.stdout)
    return found


def test_a_plain_files_references_are_expanded_and_its_literals_kept(
    envkeep: Envkeep, tmp_path: Path
) -> None:
    source = tmp_path / "app.env"
    source.write_text(FILE, encoding="utf-8")

    assert _ran(envkeep, source) == EXPECTED


def test_an_encrypted_files_references_are_expanded_as_the_plain_ones(
    envkeep: Envkeep, project: Path
) -> None:
    source = project / "app.env"
    source.write_text(FILE, encoding="utf-8")
    envkeep.ok("encrypt", str(source))

    assert _ran(envkeep, project / "app.env.enc") == EXPECTED


def test_a_reference_to_nothing_stops_the_run_naming_it_before_the_command_starts(
    envkeep: Envkeep, tmp_path: Path
) -> None:
    source = tmp_path / "app.env"
    source.write_text("TOKEN=s3cr3t-value\nA=${NOWHERE}\nB=${TOKEN}\n", encoding="utf-8")
    marker = tmp_path / "ran"

    result = envkeep(
        "run", "--file", str(source), "--", sys.executable, "-c",
        f"open({str(marker)!r}, 'w').close()",
    )  # fmt: skip

    assert result.code == 3, result.describe()
    assert "app.env: A -> NOWHERE: 'NOWHERE' is not set" in result.stderr
    assert "s3cr3t" not in result.stderr + result.stdout
    assert not marker.exists()


def test_envkeeps_own_credentials_are_never_expanded_into_a_value(
    envkeep: Envkeep, tmp_path: Path
) -> None:
    source = tmp_path / "app.env"
    source.write_text("LEAK=${ENVKEEP_PASSPHRASE}\n", encoding="utf-8")

    result = envkeep(
        "run", "--file", str(source), "--", sys.executable, "-c", PRINT, "LEAK",
        env={"ENVKEEP_PASSPHRASE": "do-not-pass-me-on"},
    )  # fmt: skip

    assert result.code == 3, result.describe()
    assert "'ENVKEEP_PASSPHRASE' is not set" in result.stderr
    assert "do-not-pass-me-on" not in result.stdout + result.stderr


def test_several_files_are_refused_rather_than_all_but_the_last_dropped(
    envkeep: Envkeep, tmp_path: Path
) -> None:
    # `dotenvx run -f .env -f .env.local` layers the two; click kept the last file alone.
    first, second = tmp_path / ".env", tmp_path / ".env.local"
    first.write_text("ONLY_IN_FIRST=1\n", encoding="utf-8")
    second.write_text("HOST=db.internal\n", encoding="utf-8")

    result = envkeep(
        "run", "-f", str(first), "-f", str(second), "--", sys.executable, "-c", "print('ran')"
    )

    assert result.code == 2
    assert "ran" not in result.stdout
    assert "run takes one --file; 2 were given" in result.stderr
