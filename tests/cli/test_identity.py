"""The identity: private keys in a 0600 file (keyring off), optionally wrapped with a
passphrase that later commands then need. On the embedded store it is created on first use,
in ENVKEEP_HOME; on a server it is the account's, made at `envkeep join` and kept under
ENVKEEP_HOME/servers/<host>/ (``identity_home``)."""

from __future__ import annotations

import base64
import json
import stat
import sys
from typing import TYPE_CHECKING

import pytest

from .accounts import identity_home
from .conftest import local_only

if TYPE_CHECKING:
    from pathlib import Path

    from .conftest import Envkeep, Homes

PASSPHRASE = "correct horse battery staple"
SECRET = "protected-value-91c"
PY = sys.executable


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_identity_is_created_on_first_use_with_keys_in_a_0600_file(
    envkeep: Envkeep, homes: Homes
) -> None:
    where = identity_home(envkeep.home)
    if homes.accounts is None:  # an account's identity exists from `envkeep join` on
        assert not (where / "identity.json").exists()

    shown = json.loads(envkeep.ok("identity", "show", "--json").stdout)

    record = json.loads((where / "identity.json").read_text(encoding="utf-8"))
    key_file = where / "identity.key"
    assert mode(key_file) == 0o600
    assert len(base64.b64decode(key_file.read_text(encoding="ascii"))) == 64
    assert record["protection"] is None
    assert key_file.read_text(encoding="ascii").strip() not in json.dumps(record)
    assert shown["principal_id"] == record["principal_id"]
    assert shown["private_keys_in"] == "file"
    assert shown["passphrase_protected"] is False
    assert isinstance(shown["fingerprint"], str)
    assert shown["fingerprint"]


def test_identity_stays_the_same_across_commands(envkeep: Envkeep, project: Path) -> None:
    record = identity_home(envkeep.home) / "identity.json"
    before = record.read_bytes()

    shown = json.loads(envkeep.ok("identity", "show", "--json").stdout)

    assert record.read_bytes() == before
    assert shown["principal_id"] == json.loads(before)["principal_id"]


# -- an identity protected at first use (shared by the tests below: they only read) ----------


@pytest.fixture(scope="module")
def protected(tmp_path_factory: pytest.TempPathFactory, homes: Homes) -> Envkeep:
    """A project whose identity got ENVKEEP_PASSPHRASE at first use (an account's: right after
    `envkeep join`, which keeps its keys unwrapped), with SECRET set."""
    runner = homes.runner(tmp_path_factory.mktemp("protected"))
    if homes.accounts is not None:
        runner.ok("identity", "protect", env={"ENVKEEP_PASSPHRASE": PASSPHRASE})
    runner.ok("init", "shop", env={"ENVKEEP_PASSPHRASE": PASSPHRASE})
    runner.ok("set", f"SECRET={SECRET}", "--env", "dev", env={"ENVKEEP_PASSPHRASE": PASSPHRASE})
    return runner


def test_a_passphrase_at_first_use_protects_the_identity(protected: Envkeep, homes: Homes) -> None:
    local_only(
        homes,
        "an account's keys are made by `envkeep join` and kept unwrapped (design, 'After "
        "login'), so there is no first use to protect; `identity protect` is tested below",
    )
    record = json.loads((protected.home / "identity.json").read_text(encoding="utf-8"))
    key_file = protected.home / "identity.key"

    assert isinstance(record["protection"], dict)
    assert record["protection"]["salt"]
    assert mode(key_file) == 0o600
    assert len(base64.b64decode(key_file.read_text(encoding="ascii"))) != 64  # wrapped


def test_the_right_passphrase_unlocks_and_is_not_passed_to_run(protected: Envkeep) -> None:
    result = protected.ok(
        "run", "--env", "dev", "--",
        PY, "-c", "import os; print(os.environ['SECRET'], 'ENVKEEP_PASSPHRASE' in os.environ)",
        env={"ENVKEEP_PASSPHRASE": PASSPHRASE},
    )  # fmt: skip

    assert result.stdout == f"{SECRET} False\n"


@pytest.mark.parametrize(
    "command",
    [("get", "SECRET", "--env", "dev"), ("run", "--env", "dev", "--", "true")],
    ids=["get", "run"],
)
def test_a_wrong_passphrase_is_one_line_and_exit_4(
    protected: Envkeep, command: tuple[str, ...]
) -> None:
    result = protected(*command, env={"ENVKEEP_PASSPHRASE": "not the passphrase"})

    assert result.code == 4
    assert result.err_lines[0].startswith("error: ")
    assert "passphrase" in result.err_lines[0]
    assert len(result.err_lines) <= 2
    assert "Traceback" not in result.stderr
    assert SECRET not in result.stdout + result.stderr


def test_no_passphrase_and_no_terminal_is_exit_4_with_a_hint(protected: Envkeep) -> None:
    result = protected("get", "SECRET", "--env", "dev")

    assert result.code == 4
    assert result.err_lines[0].startswith("error: ")
    assert result.err_lines[1].startswith("hint: ")
    assert "ENVKEEP_PASSPHRASE" in result.err_lines[1]
    assert result.stdout == ""


def test_identity_show_json_says_it_is_protected(protected: Envkeep) -> None:
    shown = json.loads(
        protected.ok("identity", "show", "--json", env={"ENVKEEP_PASSPHRASE": PASSPHRASE}).stdout
    )

    assert shown["passphrase_protected"] is True
    assert shown["private_keys_in"] == "file"


# -- envkeep identity protect -------------------------------------------------------------


def test_identity_protect_wraps_the_keys_and_values_stay_readable(
    envkeep: Envkeep, seeded: Path
) -> None:
    where = identity_home(envkeep.home)
    plain_key = (where / "identity.key").read_bytes()

    envkeep.ok("identity", "protect", env={"ENVKEEP_PASSPHRASE": PASSPHRASE})

    record = json.loads((where / "identity.json").read_text(encoding="utf-8"))
    assert isinstance(record["protection"], dict)
    assert (where / "identity.key").read_bytes() != plain_key
    assert mode(where / "identity.key") == 0o600
    unlocked = envkeep("get", "PORT", "--env", "dev", "--service", "api",
                       env={"ENVKEEP_PASSPHRASE": PASSPHRASE})  # fmt: skip
    locked = envkeep("get", "PORT", "--env", "dev", "--service", "api")
    assert (unlocked.code, unlocked.stdout) == (0, "8080\n")
    assert locked.code == 4


def test_identity_protect_refuses_a_short_passphrase(envkeep: Envkeep, project: Path) -> None:
    record = identity_home(envkeep.home) / "identity.json"
    before = record.read_bytes()

    result = envkeep("identity", "protect", env={"ENVKEEP_PASSPHRASE": "short"})

    assert result.code == 2
    assert "8 characters" in result.err_lines[0]
    assert record.read_bytes() == before


def test_identity_protect_without_passphrase_or_terminal_is_a_usage_error(
    envkeep: Envkeep, project: Path
) -> None:
    result = envkeep("identity", "protect")

    assert result.code == 2
    assert "ENVKEEP_PASSPHRASE" in result.stderr
    record = identity_home(envkeep.home) / "identity.json"
    assert json.loads(record.read_text("utf-8"))["protection"] is None


NEW_PASSPHRASE = "a different horse entirely"


def test_identity_protect_changes_the_passphrase_without_a_terminal(
    envkeep: Envkeep, seeded: Path
) -> None:
    envkeep.ok("identity", "protect", env={"ENVKEEP_PASSPHRASE": PASSPHRASE})

    change = {"ENVKEEP_PASSPHRASE": PASSPHRASE, "ENVKEEP_NEW_PASSPHRASE": NEW_PASSPHRASE}
    envkeep.ok("identity", "protect", env=change)

    get = ("get", "PORT", "--env", "dev", "--service", "api")
    assert envkeep.ok(*get, env={"ENVKEEP_PASSPHRASE": NEW_PASSPHRASE}).stdout == "8080\n"
    assert envkeep(*get, env={"ENVKEEP_PASSPHRASE": PASSPHRASE}).code == 4


def test_identity_protect_again_without_a_new_passphrase_says_how_and_changes_nothing(
    envkeep: Envkeep, seeded: Path
) -> None:
    envkeep.ok("identity", "protect", env={"ENVKEEP_PASSPHRASE": PASSPHRASE})
    record = identity_home(envkeep.home) / "identity.key"
    before = record.read_bytes()

    result = envkeep("identity", "protect", env={"ENVKEEP_PASSPHRASE": PASSPHRASE})

    assert result.code == 2, result.describe()
    assert "no new passphrase" in result.err_lines[0]
    assert "ENVKEEP_NEW_PASSPHRASE" in result.err_lines[1]
    assert record.read_bytes() == before
