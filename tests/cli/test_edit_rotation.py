"""`envkeep edit` and what other writes did meanwhile: a key rotation re-encrypts every value
under a new key (new versions, same values), which is no conflicting write; a real change of
a name the edit changes still is. A kept buffer's hint names its scope (``--service -``), and
`edit --from` takes the scope the buffer was read from, wherever it runs.

dev's shared scope holds DB_HOST, DB_PASSWORD and LOG_LEVEL=info; dev's api scope PORT=8080
and others (config_fixtures.STORED). Rotations exist on a team server only.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from .config_fixtures import (
    assert_one_line_error,
    config_template_fixture,  # noqa: F401 - a fixture, requested by name
    config_tree_fixture,  # noqa: F401 - a fixture, requested by name
    editor_env,
    stored_in,
)
from .conftest import ENVKEEP, quick_ok, server_only
from .test_config_edit import api_listing, recovered, script

if TYPE_CHECKING:
    from pathlib import Path

    from .conftest import Envkeep, Homes

# Runs each of {commands} (envkeep's arguments) while the buffer is open, then replaces each
# (old, new) of {replace} in the buffer and appends {append}.
EDITOR = """\
import pathlib, subprocess, sys
for args in {commands!r}:
    subprocess.run({envkeep!r} + args, check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)
buffer = pathlib.Path(sys.argv[1])
text = buffer.read_text(encoding="utf-8")
for old, new in {replace!r}:
    text = text.replace(old, new)
buffer.write_text(text + {append!r}, encoding="utf-8")
"""

ROTATE = ["env", "rotate-key", "dev"]
SHARED = ("edit", "--env", "dev", "--service", "-")


def editing(
    tmp_path: Path,
    *commands: list[str],
    replace: tuple[tuple[str, str], ...] = (),
    append: str = "",
) -> dict[str, str | None]:
    source = EDITOR.format(commands=list(commands), envkeep=ENVKEEP, replace=replace, append=append)
    return editor_env(script(tmp_path / "editor.py", source))


def key_versions(envkeep: Envkeep, name: str, *scope: str) -> list[tuple[int, str]]:
    """(key version, state) of each version of ``name`` in dev."""
    shown = quick_ok(envkeep, "history", name, "--env", "dev", *scope, "--json").stdout
    return [(h["key_version"], h["state"]) for h in json.loads(shown)]


def test_a_key_rotation_while_the_editor_is_open_is_no_conflict(
    envkeep: Envkeep, config_tree: Path, tmp_path: Path, homes: Homes
) -> None:
    server_only(homes, "key rotations")
    env = editing(tmp_path, ROTATE, replace=(("PORT=8080", "PORT=9090"),), append="NEW_FLAG=on\n")

    result = envkeep("edit", "--env", "dev", "--service", "api", env=env)

    assert result.code == 0, result.describe()
    assert result.err_lines == ["set 2, unset 0 in dev (service api)"]
    after = api_listing(envkeep)
    assert (after["PORT"]["value"], after["NEW_FLAG"]["value"]) == ("9090", "on")
    # the rotation's re-encryption, then the edit's value sealed under the new key
    assert key_versions(envkeep, "PORT", "-s", "api") == [(1, "set"), (2, "rekeyed"), (2, "set")]
    assert recovered(envkeep) == []


def test_a_real_change_during_a_rotation_still_conflicts_and_names_only_it(
    envkeep: Envkeep, config_tree: Path, tmp_path: Path, homes: Homes
) -> None:
    """Another writer sets DB_HOST after the rotation: the edit changed DB_HOST and LOG_LEVEL,
    and only DB_HOST is a conflict (LOG_LEVEL was only re-encrypted). The kept buffer's hint
    says the shared scope; applied, it still conflicts on DB_HOST alone, and --overwrite
    writes both of the user's values."""
    server_only(homes, "key rotations")
    other = ["set", "DB_HOST=db.other.internal", "--env", "dev", "--service", "-"]
    mine = (("DB_HOST=db.dev.internal", "DB_HOST=db.mine.internal"), ("=info", "=warn"))
    env = editing(tmp_path, ROTATE, other, replace=mine)

    result = envkeep(*SHARED, env=env)
    [kept] = recovered(envkeep)
    applied = envkeep("edit", "--from", str(kept), "--yes")
    overwritten = envkeep("edit", "--from", str(kept), "--yes", "--overwrite")

    assert result.code == 1, result.describe()
    assert_one_line_error(
        result, "changed by another write while this command ran: DB_HOST (now version 3, by "
    )
    assert "LOG_LEVEL" not in result.err_lines[0]
    apply = f"envkeep edit --env dev --service - --from {kept} --yes"  # no terminal to ask on
    assert result.err_lines[1].endswith(
        f"to apply it once corrected: {apply}; to write your changes over the other write's:"
        f" {apply} --overwrite"
    )
    assert applied.code == 1, applied.describe()
    assert_one_line_error(applied, "since this text was read: DB_HOST (now version 3, by ")
    assert "LOG_LEVEL" not in applied.err_lines[0]
    assert overwritten.code == 0, overwritten.describe()
    shared = stored_in(envkeep, "dev")
    assert (shared["DB_HOST"], shared["LOG_LEVEL"]) == ("db.mine.internal", "warn")


def test_a_kept_buffer_applies_after_a_key_rotation(
    envkeep: Envkeep, config_tree: Path, tmp_path: Path, homes: Homes
) -> None:
    server_only(homes, "key rotations")
    env = editing(tmp_path, replace=(("=info", "=warn"),), append="THIS IS NOT DOTENV\n")
    assert envkeep(*SHARED, env=env).code == 1
    [kept] = recovered(envkeep)
    kept.write_text(kept.read_text(encoding="utf-8").replace("THIS IS NOT DOTENV\n", ""))
    quick_ok(envkeep, *ROTATE)

    done = envkeep("edit", "--env", "dev", "--service", "-", "--from", str(kept), "--yes")

    assert done.code == 0, done.describe()
    assert done.err_lines[:2] == [
        "  ~ LOG_LEVEL",
        "1 change to dev (shared) (+ new, ~ changed, - unset)",
    ]
    assert stored_in(envkeep, "dev")["LOG_LEVEL"] == "warn"


def test_a_kept_shared_buffer_names_its_scope_and_applies_from_a_service_directory(
    envkeep: Envkeep, config_tree: Path, tmp_path: Path
) -> None:
    """The hint says --service - wherever the edit ran (the file outlives the directory),
    and `edit --from` without --service takes the scope the buffer was read from, not the
    service of the directory it runs in; a --service that names another scope is refused with
    the command that applies it."""
    env = editing(tmp_path, replace=(("=info", "=warn"),), append="THIS IS NOT DOTENV\n")
    failed = envkeep(*SHARED, env=env)
    [kept] = recovered(envkeep)
    kept.write_text(kept.read_text(encoding="utf-8").replace("THIS IS NOT DOTENV\n", ""))
    api_dir = envkeep.cwd / "services" / "api"

    elsewhere = envkeep("edit", "--service", "api", "--from", str(kept), "--yes", cwd=api_dir)
    done = envkeep("edit", "--from", str(kept), "--yes", cwd=api_dir)

    assert failed.code == 1, failed.describe()
    assert (
        f"to apply it once corrected: envkeep edit --env dev --service - --from {kept}"
        in (failed.err_lines[1])
    )
    assert elsewhere.code == 2, elsewhere.describe()
    assert_one_line_error(elsewhere, "this text was kept from an edit of dev / shared")
    assert elsewhere.err_lines[1] == (
        f"hint: apply it there: envkeep edit --env dev --service - --from {kept} --yes"
    )
    assert done.code == 0, done.describe()
    assert done.err_lines[:2] == [
        "  ~ LOG_LEVEL",
        "1 change to dev (shared) (+ new, ~ changed, - unset)",
    ]
    assert stored_in(envkeep, "dev")["LOG_LEVEL"] == "warn"
    assert api_listing(envkeep)["LOG_LEVEL"]["value"] == "debug"  # api's own, untouched
