"""`init --yes` adds every service it finds with its ``.env.example`` as the schema; it says,
as `service add` does, when such a file cannot be read (a name declared twice with annotations
that differ: ``@type=bool`` for dev, ``@type=int`` for prod) and what a readable one may not
mean (a plain-words "required"), rather than leave the first `validate` or `run` to fail."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .conftest import Envkeep

if TYPE_CHECKING:
    from pathlib import Path


WEB_NOTE = (
    "warning: services/web/.env.example line 1: PORT is optional; the comment on line 1 says"
    " 'required', which declares nothing: write '# @required' on a line of its own above PORT=…"
)


def _checkout(root: Path) -> Envkeep:
    work = root / "work"
    for service, text in {
        "api": "# Development\n# @type=bool\nDEBUG=true\n# Production\n# @type=int\nDEBUG=0\n",
        "web": "PORT=8080 # required\n",
        "worker": "# --- Queue ---\n# @required\nQUEUE_URL=redis://localhost\n",
    }.items():
        (work / "services" / service).mkdir(parents=True)
        (work / "services" / service / ".env.example").write_text(text, encoding="utf-8")
    (root / "home").mkdir()
    return Envkeep(root / "home", work)


def test_init_yes_says_which_found_schema_cannot_be_read(tmp_path: Path) -> None:
    envkeep = _checkout(tmp_path)

    result = envkeep("init", "shop", "--yes", "--local")

    assert result.code == 0, result.describe()
    assert (
        "warning: service 'api' was added, but its schema cannot be read"
        " (services/api/.env.example:6: 'DEBUG' is declared twice with different annotations"
        " (lines 3 and 6), so what it must be is unclear);"
        " validate and run of api fail until services/api/.env.example is fixed"
    ) in result.err_lines, result.describe()


def test_init_yes_warns_of_a_plain_required_comment_once(tmp_path: Path) -> None:
    envkeep = _checkout(tmp_path)

    result = envkeep("init", "shop", "--yes", "--local")

    assert result.code == 0, result.describe()
    noted = [line for line in result.err_lines if "declares nothing" in line]
    assert noted == [WEB_NOTE], result.describe()
    assert "worker" not in result.stderr, result.describe()
