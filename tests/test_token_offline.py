"""With ENVKEEP_TOKEN a command gets its keys from the server each time, so no kept copy can
stand in when the server is out of reach: the error says so, where it read like a member's."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tests.server import cli

if TYPE_CHECKING:
    from pathlib import Path

TOKEN = "ek_sa_11111111-2222-3333-4444-555555555555_" + "A" * 43  # a 32-byte secret


def test_a_token_out_of_reach_of_its_server_says_no_kept_copy_stands_in(tmp_path: Path) -> None:
    done = cli(
        tmp_path / "ci",
        tmp_path,
        "run",
        "--env",
        "dev",
        "--",
        "true",
        ENVKEEP_TOKEN=TOKEN,
        ENVKEEP_SERVER="http://127.0.0.1:1",
        ENVKEEP_PROJECT="shop",
    )

    assert done.returncode == 5, done.stderr
    assert "error: cannot reach http://127.0.0.1:1" in done.stderr
    assert "with ENVKEEP_TOKEN no kept copy stands in for it" in done.stderr
