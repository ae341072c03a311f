"""`envkeep edit`: $EDITOR on one scope; what changed is written as new versions, and a buffer
that cannot be applied (a syntax error, a concurrent change) is kept, never lost.

Each editor is a small Python script; `envkeep edit` runs as a real process, the state
before and after is read in-process.
"""

from __future__ import annotations

import json
import stat
from pathlib import Path
from typing import TYPE_CHECKING

from envkeep.core.dotenv import parse_dotenv

from .config_fixtures import (
    DATABASE_URL,
    STORED,
    answer_prompts,
    assert_one_line_error,
    config_template_fixture,  # noqa: F401 - a fixture, requested by name
    config_tree_fixture,  # noqa: F401 - a fixture, requested by name
    editor_env,
    on_terminal,
)
from .conftest import ENVKEEP, collect, quick_ok

if TYPE_CHECKING:
    from .conftest import Envkeep

# Records what it was given (the buffer's text and path), then changes PORT, deletes
# EXTRA_DEBUG, adds NEW_FLAG, and leaves every other line as it was.
REWRITE = """\
import pathlib, sys
buffer = pathlib.Path(sys.argv[1])
here = pathlib.Path({here!r})
text = buffer.read_text(encoding="utf-8")
(here / "seen.env").write_text(text, encoding="utf-8")
(here / "path.txt").write_text(str(buffer), encoding="utf-8")
lines = [l for l in text.splitlines() if not l.startswith("EXTRA_DEBUG=")]
lines = [l.replace("PORT=8080", "PORT=9090") for l in lines] + ["NEW_FLAG=on"]
buffer.write_text("\\n".join(lines) + "\\n", encoding="utf-8")
"""

# Writes text that is not dotenv on line 2.
BROKEN = """\
import pathlib, sys
pathlib.Path(sys.argv[1]).write_text({text!r}, encoding="utf-8")
"""
BROKEN_TEXT = "PORT=9090\nTHIS IS NOT DOTENV\n"

# Changes PORT and adds a line that is not dotenv to the buffer it was given.
TYPO = """\
import pathlib, sys
buffer = pathlib.Path(sys.argv[1])
text = buffer.read_text(encoding="utf-8").replace("PORT=8080", "PORT=9090")
buffer.write_text(text + "THIS IS NOT DOTENV\\n", encoding="utf-8")
"""

# As TYPO the first time; opened again (the refusal on top), records what it was shown and
# how many times it ran, then per {mode!r}: "fix" removes the bad line, "same" saves the text
# unchanged, "fail" sets LOG_LEVEL and exits 1 (as vim's :cq).
REOPENED = """\
import pathlib, sys
buffer = pathlib.Path(sys.argv[1])
here = pathlib.Path({here!r})
runs = here / "runs"
runs.write_text(str(int(runs.read_text()) + 1 if runs.exists() else 1))
text = buffer.read_text(encoding="utf-8")
if text.startswith("# ! "):
    (here / "reopened.env").write_text(text, encoding="utf-8")
    if {mode!r} == "fix":
        buffer.write_text(text.replace("THIS IS NOT DOTENV\\n", ""), encoding="utf-8")
    elif {mode!r} == "fail":
        buffer.write_text(text + "LOG_LEVEL=trace\\n", encoding="utf-8")
        sys.exit(1)
else:
    text = text.replace("PORT=8080", "PORT=9090")
    buffer.write_text(text + "THIS IS NOT DOTENV\\n", encoding="utf-8")
"""

# Someone else sets PORT while the editor is open; then the user's edit is saved.
RACE = """\
import pathlib, subprocess, sys
subprocess.run(
    {envkeep!r} + ["set", "PORT=7777", "--env", "dev", "--service", "api"],
    check=True,
    stderr=subprocess.DEVNULL,
)
buffer = pathlib.Path(sys.argv[1])
text = buffer.read_text(encoding="utf-8").replace("PORT=8080", "PORT=9090")
buffer.write_text(text + "NEW_FLAG=on\\n", encoding="utf-8")
"""

# Waits until every editor of the test has started, then all write a syntax error at once.
TOGETHER = """\
import pathlib, sys, time
here = pathlib.Path({here!r})
(here / (pathlib.Path(sys.argv[1]).name + "." + {tag!r} + ".ready")).touch()
deadline = time.monotonic() + 20
while len(list(here.glob("*.ready"))) < 2 and time.monotonic() < deadline:
    time.sleep(0.005)
pathlib.Path(sys.argv[1]).write_text("BROKEN LINE " + {tag!r} + "\\n", encoding="utf-8")
"""


def script(path: Path, source: str) -> Path:
    path.write_text(source, encoding="utf-8")
    return path


def api_listing(envkeep: Envkeep) -> dict[str, dict[str, object]]:
    """dev's api scope (shared rows dropped): name -> its `list --json --reveal` row."""
    rows = json.loads(
        quick_ok(envkeep, "list", "--env", "dev", "--service", "api", "--json", "--reveal").stdout
    )
    return {row["name"]: row for row in rows if row["scope"] == "api"}


def kept_text(path: Path) -> str:
    """A kept buffer's text as the user left it, below the line recording its base (what
    `edit --from` reads to apply the user's own changes)."""
    first, _, rest = path.read_text(encoding="utf-8").partition("\n")
    assert first.startswith("# envkeep edit base (edit --from reads it; keep this line): {")
    return rest


def recovered(envkeep: Envkeep) -> list[Path]:
    directory = envkeep.home / "recovered"
    return sorted(directory.iterdir()) if directory.is_dir() else []


def test_edit_applies_changes_additions_and_deletions_as_new_versions(
    envkeep: Envkeep, config_tree: Path, tmp_path: Path
) -> None:
    editor = script(tmp_path / "rewrite.py", REWRITE.format(here=str(tmp_path)))

    result = envkeep("edit", "--env", "dev", "--service", "api", env=editor_env(editor))

    assert result.code == 0, result.describe()
    assert "set 2, unset 1" in result.stderr
    after = api_listing(envkeep)
    assert {name: (row["value"], row["version"]) for name, row in after.items()} == {
        "PORT": ("9090", 2),
        "NEW_FLAG": ("on", 1),
        "DATABASE_URL": (DATABASE_URL, 1),  # untouched: the `${…}` survived the round trip
        "LOG_LEVEL": ("debug", 1),
    }
    history = json.loads(
        quick_ok(envkeep, "history", "EXTRA_DEBUG", "--env", "dev", "-s", "api", "--json").stdout
    )
    assert [(h["version"], h["deleted"]) for h in history] == [(1, False), (2, True)]
    seen = (tmp_path / "seen.env").read_text(encoding="utf-8")
    assert parse_dotenv(seen).values == STORED["dev"]["api"]  # decrypted, that scope only
    buffer = Path((tmp_path / "path.txt").read_text(encoding="utf-8"))
    assert not buffer.exists()  # the decrypted buffer is removed once applied
    # the buffer says how it reads quotes, which differs from a file's import
    assert "# Values are as stored, whatever their quotes: ${NAME} is a reference" in seen


def test_an_editor_that_writes_a_syntax_error_changes_nothing_and_the_buffer_is_kept(
    envkeep: Envkeep, config_tree: Path, tmp_path: Path
) -> None:
    editor = script(tmp_path / "broken.py", BROKEN.format(text=BROKEN_TEXT))
    before = api_listing(envkeep)

    result = envkeep("edit", "--env", "dev", "--service", "api", env=editor_env(editor))

    assert result.code == 1
    assert_one_line_error(result, ":2:")
    [kept] = recovered(envkeep)
    assert kept_text(kept) == BROKEN_TEXT
    assert stat.S_IMODE(kept.stat().st_mode) == 0o600
    assert stat.S_IMODE(kept.parent.stat().st_mode) == 0o700
    assert str(kept) in result.err_lines[1]
    assert api_listing(envkeep) == before


def test_logout_deletes_the_kept_buffers_whichever_store_the_edit_was_for(
    envkeep: Envkeep, config_tree: Path, tmp_path: Path
) -> None:
    editor = script(tmp_path / "broken.py", BROKEN.format(text=BROKEN_TEXT))
    failed = envkeep("edit", "--env", "dev", "--service", "api", env=editor_env(editor))
    assert failed.code == 1
    assert "logout deletes it too" in failed.stderr
    assert len(recovered(envkeep)) == 1

    done = envkeep("logout", "--yes")

    assert done.code == 0, done.describe()
    assert "deleted 1 kept edit buffer (values in clear)" in done.stderr
    assert recovered(envkeep) == []


def test_logout_asks_before_it_deletes_a_kept_buffer_and_a_no_keeps_it(
    envkeep: Envkeep, config_tree: Path, tmp_path: Path
) -> None:
    editor = script(tmp_path / "broken.py", BROKEN.format(text=BROKEN_TEXT))
    assert envkeep("edit", "--env", "dev", "--service", "api", env=editor_env(editor)).code == 1
    [kept] = recovered(envkeep)

    refused = envkeep("logout")  # no terminal, no --yes: nothing changes
    declined, asked = answer_prompts(envkeep, ["logout"], [(b"[y/N]", b"n\n")])

    assert refused.code == 2, refused.describe()
    assert "pass --yes to delete it and log out" in refused.stderr
    assert declined == 1, asked
    assert f"envkeep edit --from {kept}" in asked
    assert "Delete and log out? <asked>" in asked
    assert recovered(envkeep) == [kept]
    assert kept_text(kept) == BROKEN_TEXT

    accepted, _ = answer_prompts(envkeep, ["logout"], [(b"[y/N]", b"y\n")])

    assert accepted == 0
    assert recovered(envkeep) == []


def test_a_change_made_while_the_editor_is_open_is_refused_as_a_conflict_and_the_buffer_kept(
    envkeep: Envkeep, config_tree: Path, tmp_path: Path
) -> None:
    editor = script(tmp_path / "race.py", RACE.format(envkeep=ENVKEEP))

    result = envkeep("edit", "--env", "dev", "--service", "api", env=editor_env(editor))

    assert result.code == 1
    assert_one_line_error(result, "changed by another write while this command ran")
    after = api_listing(envkeep)
    assert after["PORT"]["value"] == "7777"  # the other writer's value stays
    assert "NEW_FLAG" not in after  # nothing of the refused edit was written
    [kept] = recovered(envkeep)
    assert "PORT=9090" in kept.read_text(encoding="utf-8")
    assert "NEW_FLAG=on" in kept.read_text(encoding="utf-8")
    apply = f"envkeep edit --env dev --service api --from {kept} --yes"  # no terminal to ask on
    assert result.err_lines[1].endswith(
        f"to apply it once corrected: {apply}; to write your changes over the other write's:"
        f" {apply} --overwrite"
    )


def test_from_applies_only_the_users_own_changes_and_never_undoes_another_writers(
    envkeep: Envkeep, config_tree: Path, tmp_path: Path
) -> None:
    """A buffer kept after a lost race: applying it as it is would set PORT back over the
    other writer's value, so that is a conflict; with the user's PORT line put back as it was
    read, only NEW_FLAG is written, and a name added since is not deleted."""
    editor = script(tmp_path / "race.py", RACE.format(envkeep=ENVKEEP))
    envkeep("edit", "--env", "dev", "--service", "api", env=editor_env(editor))
    [kept] = recovered(envkeep)
    quick_ok(envkeep, "set", "LATER=1", "--env", "dev", "--service", "api")  # since it was read
    edit_from = ("edit", "--env", "dev", "--service", "api", "--from", str(kept), "--yes")

    clash = envkeep(*edit_from)
    left = recovered(envkeep)
    kept.write_text(kept.read_text(encoding="utf-8").replace("PORT=9090", "PORT=8080"))
    elsewhere = envkeep("edit", "--env", "staging", "--service", "api", "--from", str(kept))
    done = envkeep(*edit_from)

    assert clash.code == 1, clash.describe()
    assert_one_line_error(
        clash, "changed by another write since this text was read: PORT (now version 2, by "
    )
    assert f"your text is still in {kept};" in clash.stderr  # no second copy in clear
    assert left == [kept]
    assert done.code == 0, done.describe()
    assert done.err_lines[0] == "  + NEW_FLAG", done.describe()
    assert f"deleted {kept} (applied; it held values in clear)" in done.err_lines
    assert recovered(envkeep) == []
    after = api_listing(envkeep)
    assert after["PORT"]["value"] == "7777"  # the other writer's, kept
    assert after["LATER"]["value"] == "1"  # not in the text, not deleted
    assert after["NEW_FLAG"]["value"] == "on"
    assert elsewhere.code == 2, elsewhere.describe()
    assert_one_line_error(elsewhere, "this text was kept from an edit of dev / api")


def test_a_kept_buffer_is_applied_with_from_after_its_plan_references_and_all(
    envkeep: Envkeep, config_tree: Path, tmp_path: Path
) -> None:
    """`edit --from` reads the buffer as the edit does (a quoted ${...} stays a reference,
    where `import` would take it literally), shows what it changes, and asks."""
    editor = script(tmp_path / "typo.py", TYPO)
    envkeep("edit", "--env", "dev", "--service", "api", env=editor_env(editor))
    [kept] = recovered(envkeep)
    text = kept.read_text(encoding="utf-8")
    assert "DATABASE_URL='postgres://${DB_USER}" in text, text  # as the buffer quotes it
    kept.write_text(
        text.replace("THIS IS NOT DOTENV\n", "").replace("EXTRA_DEBUG=1\n", "") + "ADDED=1\n",
        encoding="utf-8",
    )
    before = api_listing(envkeep)
    edit_from = ("edit", "--env", "dev", "--service", "api", "--from", str(kept))

    asked = envkeep(*edit_from)  # CI, no --yes: shown, not confirmed
    unchanged = api_listing(envkeep)
    done = envkeep(*edit_from, "--yes")

    plan = ["  + ADDED", "  - EXTRA_DEBUG", "  ~ PORT"]
    assert asked.code == 2, asked.describe()
    assert asked.err_lines[:3] == plan, asked.describe()
    assert unchanged == before
    assert done.code == 0, done.describe()
    assert done.err_lines[:4] == [
        *plan,
        "3 changes to dev (service api) (+ new, ~ changed, - unset)",
    ]
    after = api_listing(envkeep)
    assert after["PORT"]["value"] == "9090"
    assert after["ADDED"]["value"] == "1"
    assert "EXTRA_DEBUG" not in after
    assert after["DATABASE_URL"] == before["DATABASE_URL"]  # the reference, unchanged
    resolved = quick_ok(envkeep, "get", "DATABASE_URL", "--env", "dev", "--service", "api")
    assert resolved.stdout == "postgres://app:dev-pass@db.dev.internal/shop\n"


def test_two_failed_edits_at_the_same_moment_each_keep_their_buffer(
    envkeep: Envkeep, config_tree: Path, tmp_path: Path
) -> None:
    editors = {
        tag: script(tmp_path / f"{tag}.py", TOGETHER.format(here=str(tmp_path), tag=tag))
        for tag in ("api", "web")
    }
    started = {
        tag: envkeep.popen("edit", "--env", "dev", "--service", tag, env=editor_env(editor))
        for tag, editor in editors.items()
    }

    results = collect(started)

    assert all(r.code == 1 for r in results.values()), results
    kept = sorted(kept_text(path) for path in recovered(envkeep))
    assert kept == ["BROKEN LINE api\n", "BROKEN LINE web\n"]


def test_from_with_overwrite_writes_the_users_changes_over_another_writers(
    envkeep: Envkeep, config_tree: Path, tmp_path: Path
) -> None:
    """After a lost race the user may choose their own values: `--overwrite` writes the
    text's changes over names changed since; names the user did not touch keep the other
    writer's values, and `--overwrite` alone (no kept text) is refused."""
    editor = script(tmp_path / "race.py", RACE.format(envkeep=ENVKEEP))
    envkeep("edit", "--env", "dev", "--service", "api", env=editor_env(editor))
    [kept] = recovered(envkeep)
    quick_ok(envkeep, "set", "LOG_LEVEL=warn", "--env", "dev", "--service", "api")
    edit_from = ("edit", "--env", "dev", "--service", "api", "--from", str(kept), "--yes")

    done = envkeep(*edit_from, "--overwrite")
    alone = envkeep("edit", "--env", "dev", "--service", "api", "--overwrite")

    assert done.code == 0, done.describe()
    assert done.err_lines[:2] == ["  + NEW_FLAG", "  ~ PORT"], done.describe()
    after = api_listing(envkeep)
    assert after["PORT"]["value"] == "9090"  # the user's, over the other writer's 7777
    assert after["NEW_FLAG"]["value"] == "on"
    assert after["LOG_LEVEL"]["value"] == "warn"  # not the user's change: the other write stays
    assert alone.code == 2, alone.describe()
    assert_one_line_error(alone, "--overwrite applies a kept buffer: it goes with --from FILE")


def _edit_on_terminal(envkeep: Envkeep, tmp_path: Path, *, mode: str) -> tuple[int, str]:
    editor = script(tmp_path / "reopen.py", REOPENED.format(here=str(tmp_path), mode=mode))
    code, shown = on_terminal(
        envkeep,
        *("edit", "--env", "dev", "--service", "api"),
        env={**editor_env(editor), "CI": None},
        stdin_terminal=True,
    )
    return code, shown.decode(errors="replace")


def test_on_a_terminal_a_refused_text_opens_again_with_the_reason_on_top(
    envkeep: Envkeep, config_tree: Path, tmp_path: Path
) -> None:
    code, shown = _edit_on_terminal(envkeep, tmp_path, mode="fix")

    assert code == 0, shown
    reopened = (tmp_path / "reopened.env").read_text(encoding="utf-8")
    assert reopened.startswith("# ! envkeep edit: not applied, nothing was written:\n"), reopened
    assert "line" in reopened.split("THIS IS NOT DOTENV")[0]  # the parse error, above the text
    assert "PORT=9090\n" in reopened  # the user's own text, kept as they left it
    assert api_listing(envkeep)["PORT"]["value"] == "9090"
    assert recovered(envkeep) == []  # applied: nothing kept in clear


def test_saving_the_reopened_text_unchanged_gives_up_and_keeps_it(
    envkeep: Envkeep, config_tree: Path, tmp_path: Path
) -> None:
    before = api_listing(envkeep)
    code, shown = _edit_on_terminal(envkeep, tmp_path, mode="same")

    assert code == 1, shown
    assert (tmp_path / "runs").read_text() == "2"  # opened again once, then given up
    assert "edit --env dev --service api --from" in shown
    [kept] = recovered(envkeep)
    assert "PORT=9090\nTHIS IS NOT DOTENV\n" in kept_text(kept)
    assert api_listing(envkeep) == before


def test_an_editor_that_fails_when_opened_again_loses_none_of_the_text(
    envkeep: Envkeep, config_tree: Path, tmp_path: Path
) -> None:
    before = api_listing(envkeep)
    code, shown = _edit_on_terminal(envkeep, tmp_path, mode="fail")

    assert code == 2, shown  # the editor's failure, as on a first run
    assert "the editor exited with code 1" in shown
    [kept] = recovered(envkeep)
    assert "PORT=9090\n" in kept_text(kept)  # the first round's change
    assert "LOG_LEVEL=trace\n" in kept_text(kept)  # and the one saved before it failed
    assert api_listing(envkeep) == before


def test_edit_without_an_editor_named_or_a_terminal_refuses_before_opening_vi(
    envkeep: Envkeep, config_tree: Path
) -> None:
    before = api_listing(envkeep)

    result = envkeep(
        "edit", "--env", "dev", "--service", "api", env={"EDITOR": None, "VISUAL": None}
    )

    assert result.code == 2, result.describe()
    assert_one_line_error(result, "VISUAL and EDITOR are unset", "nothing changed")
    assert "envkeep edit --from FILE --env dev --service api" in result.err_lines[1]
    assert "\x1b" not in result.stdout + result.stderr  # no editor drew on the output
    assert recovered(envkeep) == []
    assert api_listing(envkeep) == before
