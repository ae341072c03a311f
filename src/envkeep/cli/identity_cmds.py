"""`envkeep identity show|protect`: the local key pairs."""

from __future__ import annotations

import getpass
from typing import TYPE_CHECKING

import typer

from envkeep.cli import output
from envkeep.cli.options import JsonOpt
from envkeep.cli.state import interactive, make_context
from envkeep.client import identity as identities
from envkeep.core.errors import UsageError

if TYPE_CHECKING:
    from envkeep.settings import Settings

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


def _new_passphrase(settings: Settings, *, protected: bool) -> str:
    """The passphrase to wrap the keys with: ENVKEEP_NEW_PASSPHRASE; else, for keys not yet
    protected, ENVKEEP_PASSPHRASE (it unlocks nothing yet); else typed twice on a terminal."""
    if settings.new_passphrase:
        return settings.new_passphrase
    if settings.passphrase and not protected:
        return settings.passphrase
    if not interactive(settings):
        if protected:
            raise UsageError(
                "no new passphrase given",
                hint="set ENVKEEP_NEW_PASSPHRASE to the new one (ENVKEEP_PASSPHRASE unlocks the"
                " keys with the current one), or run in a terminal to be asked",
            )
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

    Without a terminal: ENVKEEP_PASSPHRASE protects keys not yet protected; to change it, it
    unlocks them and ENVKEEP_NEW_PASSPHRASE is the new one.

    Example: ENVKEEP_PASSPHRASE=… envkeep identity protect
    """
    ctx = make_context()
    # Read before ctx.identity, which makes a missing identity and protects it with
    # ENVKEEP_PASSPHRASE: that passphrase is then the new one, not a current one to replace.
    record = identities.load_record(ctx.identity_settings)
    protected = record is not None and record.protection is not None
    current = ctx.identity  # unlocked with the current passphrase, when there is one
    passphrase = _new_passphrase(ctx.settings, protected=protected)
    identities.protect(ctx.identity_settings, current, passphrase)
    output.done("the identity's private keys are now protected by your passphrase")
