"""What the README's scripting paragraph says a script gets where nothing can be asked: the
identity's passphrase missing is "not authorised" (exit 4, as a wrong one), not a usage error
(2) as for `--yes` or a file's passphrase."""

from __future__ import annotations

from pathlib import Path

from tests.server import cli as _cli
from tests.server import quick_ok as _ok

README = Path(__file__).resolve().parents[1] / "README.md"


def test_a_protected_identity_without_its_passphrase_exits_as_the_readme_says(
    tmp_path: Path,
) -> None:
    home, work = tmp_path / "home", tmp_path / "work"
    work.mkdir()
    _ok(home, work, "init", "shop", ENVKEEP_PASSPHRASE="scripting passphrase")
    _ok(home, work, "set", "A=1", "--env", "dev", ENVKEEP_PASSPHRASE="scripting passphrase")

    refused = _cli(home, work, "get", "A", "--env", "dev")

    assert (refused.returncode, refused.stdout) == (4, ""), refused.stderr
    assert "ENVKEEP_PASSPHRASE" in refused.stderr
    said = " ".join(README.read_text(encoding="utf-8").split())
    assert "or 4 for the identity's passphrase (`ENVKEEP_PASSPHRASE`" in said
