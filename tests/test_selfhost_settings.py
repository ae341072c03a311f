"""A mistyped key in the server's settings file is refused naming the key, and the known key it
likely stands for; the real CLI, before anything opens the database."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from tests.server import cli

if TYPE_CHECKING:
    from pathlib import Path


@pytest.mark.parametrize(
    ("written", "meant"),
    [("trusted_proxie", "trusted_proxies"), ("trusted-proxies", "trusted_proxies"),
     ("shutdown_timout", "shutdown_timeout"), ("cors_origin", "cors_origins")],
)  # fmt: skip
def test_a_mistyped_key_names_the_key_it_likely_means(
    tmp_path: Path, written: str, meant: str
) -> None:
    settings = tmp_path / "server.toml"
    settings.write_text(f'{written} = "1"\n', encoding="utf-8")
    database = tmp_path / "server.db"
    done = cli(tmp_path / "home", tmp_path, "server", "migrate", "--config", str(settings),
               "--db", f"sqlite:///{database}")  # fmt: skip
    assert done.returncode == 2, done.stderr
    assert f"error: unknown setting '{written}' in {settings}" in done.stderr
    assert f"hint: did you mean '{meant}'? known: host, port, db," in done.stderr
    assert not database.exists()  # refused before anything was opened


def test_a_key_like_none_lists_the_known_ones_alone(tmp_path: Path) -> None:
    settings = tmp_path / "server.toml"
    settings.write_text('colour = "blue"\n', encoding="utf-8")
    done = cli(tmp_path / "home", tmp_path, "server", "migrate", "--config", str(settings))
    assert done.returncode == 2, done.stderr
    assert "hint: known: host, port, db, rate," in done.stderr
    assert "did you mean" not in done.stderr
