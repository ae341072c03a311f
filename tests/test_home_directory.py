"""Where envkeep keeps its per-user state when ENVKEEP_HOME is not set."""

from __future__ import annotations

from pathlib import Path

from envkeep.settings import load_settings


def test_an_absolute_xdg_config_home_holds_the_home(tmp_path: Path) -> None:
    settings = load_settings({"XDG_CONFIG_HOME": str(tmp_path)})

    assert settings.home == tmp_path / "envkeep"


def test_a_relative_xdg_config_home_is_ignored_as_the_xdg_spec_says() -> None:
    # Relative, it would make a new home (identity, pins, cache) in every directory a
    # command runs in: a CI step that cds into a service would trust anew there.
    settings = load_settings({"XDG_CONFIG_HOME": "relative/config"})

    assert settings.home == Path("~/.config/envkeep").expanduser()
