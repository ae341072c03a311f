"""What a Doppler or Infisical command is called here, said where `envkeep` finds no such
command: a team moving over types `envkeep secrets set`, `envkeep setup` or `envkeep download`
first, and Typer's "did you mean 'server', 'set'?" sent them to the server."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from typer.core import TyperGroup

if TYPE_CHECKING:
    from collections.abc import Sequence

# `doppler secrets SUB` / `infisical secrets SUB`: envkeep's command for each SUB
_SECRETS = {
    "set": "set",
    "get": "get",
    "delete": "unset",
    "download": "export",
    "upload": "import",
}
_OTHERS = {
    "setup": "envkeep.toml names the project (envkeep init writes it); the environment of every"
    " command: export ENVKEEP_ENV=NAME",
    "download": "'download' is 'envkeep export' here (--format dotenv, json, docker, k8s…;"
    " -o FILE)",
    "upload": "'upload' is 'envkeep import FILE' here",
    "configs": "configs are environments here: envkeep env list",
    "environments": "environments are listed with: envkeep env list",
    "projects": "projects are listed with: envkeep project list",
    "me": "'me' is 'envkeep whoami' here",
}


def envkeep_words(args: Sequence[str]) -> str | None:
    """What envkeep calls the foreign command ``args`` start with; None for a word no other
    tool uses (a plain typo, left to Typer's "did you mean")."""
    if not args:
        return None
    word = args[0]
    if word in ("secrets", "secret"):
        sub = next((arg for arg in args[1:] if not arg.startswith("-")), None)
        mine = "list" if sub is None else _SECRETS.get(sub)
        if mine is None:
            return "variables have commands of their own here: envkeep set, get, list, unset"
        said = f"{word} {sub}" if sub else word
        return f"'{said}' is 'envkeep {mine}' here (envkeep {mine} --help)"
    return _OTHERS.get(word)


class ForeignWordsGroup(TyperGroup):
    """Typer's group, whose unknown-command error says envkeep's name for a Doppler or
    Infisical command (`envkeep_words`) in place of its close-spelling guesses."""

    # Any: the context and answer are the types of the click Typer vendors (typer._click)
    def resolve_command(self, ctx: Any, args: list[str]) -> Any:
        if args and args[0] not in self.commands and not ctx.resilient_parsing:
            said = envkeep_words(args)
            if said is not None:
                ctx.fail(f"No such command '{args[0]}'. {said}")
        return super().resolve_command(ctx, args)
