"""Sending a key rotation, and what a server older than its `left_out` field says to it.

A rotation names the readers it leaves out (`new_keys.rotation_shares`) in `left_out`, sent
only when not empty; a server from before the field refuses a body that has it (422, "body.
left_out: Extra inputs are not permitted"). A revocation has cut the access before it asks
for its rotations, so that refusal must not read as a malformed request: it says the server is
older than this client, whom the rotation was to leave out, and the two ways on.
"""

from __future__ import annotations

import shlex
from typing import TYPE_CHECKING, Any

from envkeep.core.errors import EnvkeepError, NotAnEnvkeepRoute

if TYPE_CHECKING:
    from collections.abc import Mapping

    from envkeep.client.http import HttpBackend
    from envkeep.client.new_keys import Unsealed

# What a server answers to a field it does not know: an envkeep server's problem for an
# invalid request names the field; a server with FastAPI's own 422 says only the status.
_UNKNOWN_FIELD = "left_out"
_BARE_422 = "the server answered 422"


def send_rotation(
    backend: HttpBackend,
    project: str,
    environment: str,
    body: dict[str, Any],
    left_out: Mapping[str, Unsealed],
) -> None:
    """POST the rotation ``body`` of ``project/environment``; a server that refuses its
    ``left_out`` field is named as older than this client (NotAnEnvkeepRoute)."""
    try:
        backend.api.request(
            "POST",
            f"{backend.project_path(project)}/environments/{environment}/rotate",
            json=body,
        )
    except EnvkeepError as refused:
        if not left_out or type(refused) is not EnvkeepError:
            raise
        said = refused.message
        if _UNKNOWN_FIELD not in said and said != _BARE_422:
            raise
        raise older_server(project, environment, left_out) from None


def older_server(
    project: str, environment: str, left_out: Mapping[str, Unsealed]
) -> NotAnEnvkeepRoute:
    """The refusal of a rotation that leaves out ``left_out`` by a server older than that."""
    from envkeep import __version__

    who = sorted(unsealed.who for unsealed in left_out.values())
    verify = "; ".join(
        shlex.join(["envkeep", "member", "verify", name, "--fingerprint", "FINGERPRINT"])
        for name in who
    )
    # No command naming this environment: a revocation's hints, alike for each environment
    # it rotates, are said once, followed by the rotate-key command of each.
    return NotAnEnvkeepRoute(
        f"the server is older than this envkeep ({__version__}) and refused a new key of"
        f" {project}/{environment} that leaves out {', '.join(who)}, whose keys are not"
        " trusted here; the key was not rotated",
        hint=(
            "upgrade the server (then envkeep server migrate), or trust their keys (each reads"
            f" theirs with envkeep whoami --fingerprint): {verify}; then rotate the key again"
        ),
    )
