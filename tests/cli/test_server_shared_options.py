"""Every `server` subcommand takes --db and --config as one definition: backup and copy each
had their own, worded apart from migrate's and bootstrap's (and from each other)."""

from __future__ import annotations

import typer
import typer.core

from envkeep.cli.server_cmds import server_app

SUBCOMMANDS = ("migrate", "bootstrap", "backup", "copy")


def _option(command: str, name: str) -> typer.core.TyperOption:
    group = typer.main.get_command(server_app)
    assert isinstance(group, typer.core.TyperGroup)
    found = [p for p in group.commands[command].params if isinstance(p, typer.core.TyperOption)]
    (option,) = (p for p in found if name in p.opts)
    return option


def test_db_and_config_read_the_same_in_every_server_subcommand() -> None:
    for name in ("--db", "--config"):
        options = {command: _option(command, name) for command in SUBCOMMANDS}
        helps = {command: option.help for command, option in options.items()}
        assert len(set(helps.values())) == 1, helps


def test_the_db_help_names_both_databases_and_where_the_default_comes_from() -> None:
    shown = _option("copy", "--db").help or ""
    assert "sqlite:///PATH" in shown
    assert "postgresql://" in shown
    assert "ENVKEEP_SERVER_DB" in shown
    assert "--config" in shown
