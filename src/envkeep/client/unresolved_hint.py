"""What to do about a reference that does not resolve, as commands to run.

``--no-validate`` skips a schema's findings, not a reference to a name that is not set: a
command that needs the value fails on it all the same (`Checked.raise_unresolved`). So a
refusal that is only about such references offers the two fixes that work: set the missing
name, or unset the name that refers to it, each with the scope it lives in.
"""

from __future__ import annotations

import re
import shlex
from typing import TYPE_CHECKING

from envkeep.client.resolution import service_layer
from envkeep.client.stray_references import NO_SERVICE

if TYPE_CHECKING:
    from collections.abc import Sequence

    from envkeep.client.validation import Checked

__all__ = ["UNRESOLVED", "unresolved_hint"]

UNRESOLVED = "unresolved"  # the rule of a finding about a reference (`core.validate`)
# `M -> NOPE: 'NOPE' is not set`: a name that refers straight to a name not set.
_MISSING_RE = re.compile(r"(?P<name>\S+) -> (?P<missing>\S+): '(?P=missing)' is not set")


def unresolved_hint(checked: Sequence[Checked], env: str) -> str:
    """The hint for errors that are all unresolved references: the commands for the first
    one that refers straight to a name not set, else how to see them all."""
    lacking = _lacking(checked)
    for check in checked:
        for finding in check.errors:
            fixes = _fixes(check, finding.name, finding.message, env, lacking)
            if fixes:
                return fixes
    return "fix each reference or set the name it refers to (envkeep explain NAME shows them)"


def _lacking(checked: Sequence[Checked]) -> dict[str, set[str | None]]:
    """Each name referred to by its bare name and not set, with the services lacking it."""
    lacking: dict[str, set[str | None]] = {}
    for check in checked:
        for finding in check.errors:
            found = _MISSING_RE.match(finding.message)
            if found is not None and "." not in found["missing"]:
                lacking.setdefault(found["missing"], set()).add(check.service)
    return lacking


def _fixes(
    check: Checked, name: str, message: str, env: str, lacking: dict[str, set[str | None]]
) -> str | None:
    found = _MISSING_RE.match(message)
    if found is None or found["name"] != name:  # a cycle, or through another name
        return None
    missing = found["missing"]
    service, _, bare = missing.rpartition(".")
    fixes = []
    if NO_SERVICE not in message:  # no `set` makes a service
        owners = lacking.get(missing, set())
        # Several services lack it: the shared scope gives it to them all at once.
        where = _scope(env, None if len(owners) > 1 else service or check.service)
        fixes.append(f"set {missing}: envkeep set {shlex.quote(bare + '=VALUE')}{where}")
    # Where the referrer is stored: a template's or a personal override's is not unset so.
    stored: dict[str, str | None] = {"shared": None}
    if check.service is not None:
        stored[service_layer(check.service)] = check.service
    winner = check.resolution.winners.get(name, "")
    if winner in stored:
        fixes.append(f"drop the reference: envkeep unset {name}{_scope(env, stored[winner])}")
    return ", or ".join(fixes) or None


def _scope(env: str, service: str | None) -> str:
    """The flags naming the scope, ``--service -`` for the shared one wherever the command is
    run (in a service's directory, leaving --service out names that service)."""
    return f" --env {shlex.quote(env)} --service {shlex.quote(service or '-')}"
