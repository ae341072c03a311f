"""ENVKEEP_SIGNERS and the key rotations that taking rights away calls for, checked before it.

`member revoke`, `member remove`, `token revoke`, a grant that lowers a role and `token rotate`
take the rights away in one request, then rotate the keys of what they opened, each in a
request of its own (`key_rotation.rotate_environments`). A rotation reads the environment (its
signers checked) and seals the new key to every reader left (their keys checked by
`new_keys.refuse_untrusted_recipient`). With ENVKEEP_SIGNERS set, either may refuse what the
list leaves out: refused after the rights were taken, the old key would go on opening new
values. So both checks run first, on what the caller sees now, and refuse before anything
changes (as `revocation_preview.check_revocation` refuses rotations whose keys the caller
lacks). Without the list they refuse only what they refused before (a changed key), and are
left to the rotations themselves.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from envkeep.core.errors import IntegrityError, PermissionDenied

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Mapping

    from envkeep.client.context import ClientContext
    from envkeep.client.http import HttpBackend

    # (a reader, as the API lists it; an environment, as `scope_environments` lists it) →
    # whether that reader stops reading it once the rights are taken.
    Leaving = Callable[[Mapping[str, Any], Mapping[str, Any]], bool]


def check_listed_rotations(
    ctx: ClientContext,
    backend: HttpBackend,
    envs: Iterable[Mapping[str, Any]],
    leaving: Leaving,
    doing: str,
) -> None:
    """With ENVKEEP_SIGNERS set, refuse (before ``doing`` changes anything: "revoking token
    ci") rotations of ``envs`` the list would stop: an environment holding what a signer it
    leaves out signed, or a reader left (not ``leaving``) whose key it leaves out. One the
    caller may not read or list the readers of is left to its rotation, as before."""
    if ctx.listed_signers is None:
        return
    from envkeep.api import schemas
    from envkeep.client.answers import read_answer
    from envkeep.client.http import principal_view
    from envkeep.client.key_rotation import environment_readers
    from envkeep.client.new_keys import refuse_untrusted_recipient

    for item in envs:
        project, environment = str(item["project"]), str(item["environment"])
        where = f"{project}/{environment}"
        try:
            backend.read_environment(project, environment, None)  # as its rotation reads it
            for reader in environment_readers(backend, project, environment):
                if not leaving(reader, item):
                    view = principal_view(read_answer(schemas.Principal, reader))
                    refuse_untrusted_recipient(ctx, view, f"the new key of {where}")
        except PermissionDenied:
            continue
        except IntegrityError as refused:
            refused.message += f"; {doing} rotates the key of {where}, so nothing changed"
            raise
