"""ENVKEEP_SIGNERS and the key rotations that taking rights away calls for, checked before it.

`member revoke`, `member remove`, `token revoke`, a grant that lowers a role and `token rotate`
take the rights away in one request, then rotate the keys of what they opened, each in a
request of its own (`key_rotation.rotate_environments`). A rotation reads the environment (its
signers checked) and re-encrypts every value under the new key; with ENVKEEP_SIGNERS set, a
value a signer it leaves out signed stops it. Refused after the rights were taken, the old key
would go on opening new values: so that check runs first, on what the caller sees now, and
refuses before anything changes (as `revocation_preview.check_revocation` refuses rotations
whose keys the caller lacks).

A reader left whose key the list leaves out does not stop the rotation: it is left out of the
new key and named (`new_keys.rotation_shares`), as any reader whose key is not trusted here
is; refusing the revocation for it would leave whom it revokes reading (docs/design.md).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from envkeep.core.errors import IntegrityError, PermissionDenied

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

    from envkeep.client.context import ClientContext
    from envkeep.client.http import HttpBackend


def check_listed_rotations(
    ctx: ClientContext,
    backend: HttpBackend,
    envs: Iterable[Mapping[str, Any]],
    doing: str,
) -> None:
    """With ENVKEEP_SIGNERS set, refuse (before ``doing`` changes anything: "revoking token
    ci") rotations of ``envs`` the list would stop: an environment holding what a signer it
    leaves out signed. One the caller may not read is left to its rotation, as before."""
    if ctx.listed_signers is None:
        return
    for item in envs:
        project, environment = str(item["project"]), str(item["environment"])
        try:
            backend.read_environment(project, environment, None)  # as its rotation reads it
        except PermissionDenied:
            continue
        except IntegrityError as refused:
            refused.message += (
                f"; {doing} rotates the key of {project}/{environment}, so nothing changed"
            )
            raise
