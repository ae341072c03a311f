"""What the hint of a name not found says. A caller who may only read an environment (a read
token, a member granted read) is not told to write: the hint said "set it with: envkeep set
NAME=VALUE", which the server then refuses. The read that looked the name up says the caller's
role there (`write_role.reads_only`); a writer's hint is unchanged. A name set in many other
scopes names the first few of them, not 150."""

from __future__ import annotations

from typing import TYPE_CHECKING

from envkeep.client.variable_not_found import NAMED_SCOPES

from .config_fixtures import (
    config_template_fixture,  # noqa: F401 - a fixture, requested by name
    config_tree_fixture,  # noqa: F401 - a fixture, requested by name
)
from .conftest import quick_ok, server_only
from .test_read_only_writes import _said, _token

if TYPE_CHECKING:
    from pathlib import Path

    from .conftest import Envkeep, Homes


def test_a_reader_looking_up_a_missing_name_is_not_told_to_set_it(
    envkeep: Envkeep, config_tree: Path, homes: Homes, tmp_path: Path
) -> None:
    server_only(homes, "roles below admin exist on a team server only")
    reader = _token(envkeep, homes, tmp_path, "read")
    writer = _token(envkeep, homes, tmp_path, "write")
    quick_ok(envkeep, "set", "GONE_NAME=1", "--env", "dev")
    quick_ok(envkeep, "unset", "GONE_NAME", "--env", "dev")

    read = envkeep("get", "NOWHERE_NAME", "--env", "dev", env=reader)
    gone = envkeep("get", "GONE_NAME", "--env", "dev", env=reader)
    written = envkeep("get", "NOWHERE_NAME", "--env", "dev", env=writer)

    assert read.code == 1, read.describe()
    error, hint = _said(read)
    assert error == "error: variable 'NOWHERE_NAME' not found in the shared scope of 'dev'"
    assert "envkeep set" not in hint, read.describe()
    assert hint.startswith("hint: the names stored there: envkeep list --env dev"), hint
    assert "takes the write role there; you have read" in hint, hint
    assert gone.code == 1, gone.describe()
    assert "rollback" not in _said(gone)[1], gone.describe()  # a reader cannot bring it back
    assert "envkeep history GONE_NAME" in _said(gone)[1], gone.describe()
    assert written.code == 1, written.describe()
    assert _said(written)[1] == "hint: set it with: envkeep set NOWHERE_NAME=VALUE --env dev"


def test_a_name_set_in_many_services_is_hinted_with_the_first_few(
    envkeep: Envkeep, project: Path
) -> None:
    services = ["api", "worker", "alpha", "beta", "gamma"]
    for name in services[2:]:
        (project / "services" / name).mkdir(parents=True)
        quick_ok(envkeep, "service", "add", name, "--path", f"services/{name}")
    for name in services:
        quick_ok(envkeep, "set", "EVERYWHERE=1", "--env", "dev", "--service", name)

    missing = envkeep("get", "EVERYWHERE", "--env", "dev", "--service", "-")

    assert missing.code == 1, missing.describe()
    hint = missing.err_lines[-1]
    assert hint.startswith("hint: it is set in service "), hint
    assert hint.count("service '") == NAMED_SCOPES, hint
    assert f"and {len(services) - NAMED_SCOPES} more: use --service " in hint, hint
