"""A write refused for the caller's role first, before anything about what it writes.

Every write command starts by reading the environment it writes (its data key, its versions),
and the server's answer says the reader's role there (`EnvironmentSnapshot.role`). The checks
of what would be written (a schema, a reference cycle, a version, a conflict) came first, and a
reader was told their refusal, pointing at a fix (`--no-validate`, another value) that the
server then refused all the same. Now a read that says less than the write role is followed
at once by the write with nothing in it: the server refuses it for the role before anything
else, in its own words (the admins to ask named), and audits it as any refused request, as it
did when the refused write came after the checks. No request in the way of a writer's write:
only a reader's command sends it. A server that lets it through (a role granted since the read)
writes nothing, and the command goes on.

A read that does not say (a server from before it said, a copy kept offline) checks nothing
here, unless ``ask``: `edit` asks all the same rather than open an editor on a text that could
never be written. On the embedded store its owner holds every role.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from envkeep.app.policy import Role
from envkeep.core.errors import EnvkeepError, PermissionDenied

if TYPE_CHECKING:
    from envkeep.client.context import ClientContext
    from envkeep.client.vault import OpenEnvironment


def refuse_unless_writable(
    ctx: ClientContext, opened: OpenEnvironment, *, ask: bool = False, note: str = ""
) -> None:
    """Raise the server's PermissionDenied when the read ``opened`` says its reader holds less
    than the write role on that environment (with ``ask``, also when it does not say).
    ``note``: what the refusal adds (`edit`: the editor was not opened)."""
    held = _role(opened.snapshot.role)
    if (held is None and not ask) or (held is not None and held >= Role.WRITE):
        return
    env = opened.snapshot.environment.name
    try:
        ctx.backend.write_secrets(ctx.project_file.project, env, [], confirmed=True)
    except PermissionDenied as refused:
        if not note:
            raise
        said = f"{refused.message}; {note}"
        raise PermissionDenied(
            said, hint=refused.hint, needed=refused.needed, scope=refused.scope
        ) from None
    except EnvkeepError:  # "nothing to write": not refused for the role; the command goes on
        return


def reads_only(opened: OpenEnvironment | None) -> bool:
    """Whether the read ``opened`` says its reader holds a role below write there (a read-only
    token or member): what a hint may then tell them to do. False when it does not say."""
    held = None if opened is None else _role(opened.snapshot.role)
    return held is not None and held < Role.WRITE


def _role(said: str | None) -> Role | None:
    """A role as the server names it; None when it does not, or names one unknown here."""
    try:
        return None if said is None else Role.parse(said)
    except (KeyError, ValueError):
        return None
