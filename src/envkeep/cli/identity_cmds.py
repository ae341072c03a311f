"""`envkeep identity show|protect`: the local key pairs."""

from __future__ import annotations

import getpass

import typer

from envkeep.cli import output
from envkeep.cli.options import JsonOpt
from envkeep.cli.state import interactive, make_context
from envkeep.client import identity as identities
from envkeep.core.errors import UsageError

identity_app = typer.Typer(help="The local identity (key pairs).", no_args_is_help=True)


@identity_app.command("show")
def show(json_out: JsonOpt = False) -> None:
    """Show the identity's id, name, fingerprint and where its private keys rest.

    Example: envkeep identity show
    """
    ctx = make_context()
    # Public information only: no need to unlock (and ask for a passphrase) unless it is new.
    record = identities.load_record(ctx.identity_settings) or ctx.identity.record
    info = {
        "principal_id": record.principal_id,
        "name": record.name,
        "fingerprint": record.public.fingerprint(),
        "private_keys_in": record.store,
        "passphrase_protected": record.protection is not None,
    }
    if json_out:
        output.print_json(info)
        return
    for key, value in info.items():
        output.say(f"{key.replace('_', ' ')}: {value}")


def _new_passphrase(ctx_settings_passphrase: str | None, can_ask: bool) -> str:
    if ctx_settings_passphrase:
        return ctx_settings_passphrase
    if not can_ask:
        raise UsageError(
            "no passphrase given", hint="set ENVKEEP_PASSPHRASE, or run in a terminal to be asked"
        )
    first = getpass.getpass("New passphrase: ")
    if first != getpass.getpass("Repeat it: "):
        raise UsageError("the two passphrases differ; nothing changed")
    return first


@identity_app.command("protect")
def protect() -> None:
    """Wrap the private keys with a passphrase (Argon2id); run again to change it.

    Example: ENVKEEP_PASSPHRASE=… envkeep identity protect
    """
    ctx = make_context()
    current = ctx.identity
    passphrase = _new_passphrase(ctx.settings.passphrase, interactive(ctx.settings))
    identities.protect(ctx.identity_settings, current, passphrase)
    output.done("the identity's private keys are now protected by your passphrase")
