"""Client use cases for members: grant (sealing every data key the grantee gains), revoke
(then rotate the keys it could read), list, verify a key; and key rotation.

Public keys come from the server, so they are pinned on first use (``known_keys.json``): a
changed key is refused until ``envkeep member verify`` accepts its fingerprint.
"""

from __future__ import annotations

import contextlib
import json
import shlex
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from envkeep import crypto
from envkeep.client.pins import check_pin, fingerprint_of, load_pins, name_key, pin, pin_key
from envkeep.client.principal_names import grant_name, shown_principal
from envkeep.client.reading import read_environment
from envkeep.client.revocation_preview import Lowering, check_revocation, lowering
from envkeep.client.scope_shares import scope_environments, seal_for, seal_scope_shares
from envkeep.client.vault import WriteTarget
from envkeep.core.errors import (
    EnvironmentNotFound,
    EnvironmentReplaced,
    EnvkeepError,
    IntegrityError,
    NotFoundError,
    PermissionDenied,
    RoleNotHeld,
    RotationLeft,
    UsageError,
)
from envkeep.core.files import exclusive, write_atomic
from envkeep.core.wording import counted

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

    from envkeep.app.views import PrincipalView
    from envkeep.client.context import ClientContext
    from envkeep.client.http import HttpBackend


def _http(ctx: ClientContext) -> HttpBackend:
    """The team server's backend; a usage error on the embedded store, found before the
    store is opened (opening it makes this machine's identity, for nothing here)."""
    from envkeep.client.http import HttpBackend

    if ctx.server_url is None:
        if not ctx.has_checkout:
            raise UsageError(
                "members, roles and tokens live on a team server, and you are not logged in to one",
                hint="envkeep login URL (or, with an invite: envkeep join URL CODE)",
            )
        raise UsageError(
            "members and roles live on a team server; this project uses the embedded store",
            hint="log in to a server and create the project there: envkeep login URL",
        )
    backend = ctx.backend
    if not isinstance(backend, HttpBackend):  # a server URL makes an HTTP backend
        raise UsageError("this command needs a team server", hint="envkeep login URL")
    return backend


# -- verifying a key ---------------------------------------------------------------------------


_FINGERPRINT_DIGITS = 32


def _hex_digits(fingerprint: str) -> str:
    """A fingerprint as it is compared: its hex digits, lower case (spaces, colons, dashes and
    case are how someone reads or types it)."""
    digits = "".join(c for c in fingerprint.lower() if c not in " :-\t")
    if len(digits) != _FINGERPRINT_DIGITS or any(c not in "0123456789abcdef" for c in digits):
        raise UsageError(
            f"'{fingerprint.strip()}' is not a key fingerprint: one is 32 hex digits, shown in"
            " groups of four",
            hint="ask them to read out what 'envkeep whoami --fingerprint' shows",
        )
    return digits


def verify_member(ctx: ClientContext, name: str, fingerprint: str) -> str:
    """Accept a member's current key after checking its fingerprint out of band."""
    given = _hex_digits(fingerprint)
    principal = _to_verify(ctx, name)
    seen = fingerprint_of(principal)
    if _hex_digits(seen) != given:
        raise IntegrityError(
            f"{name}'s key has fingerprint {seen}, not the one you gave ({fingerprint.strip()});"
            " nothing was pinned",
            hint="do not trust it: check the fingerprint with them again, out of band",
        )
    pin(ctx, principal.id, seen, principal.name)
    return seen


def _to_verify(ctx: ClientContext, name: str) -> PrincipalView:
    """The principal ``name`` names, with the keys the server shows now. Looking a name up is
    for admins (they grant to it), and finds members only; anyone verifies the signers it has
    pinned (what it read), each looked up by id (the server shows a principal's keys to those
    who share a workspace with it)."""
    try:
        return lookup(ctx, name)
    except (PermissionDenied, NotFoundError) as refused:
        found = _pinned_named(ctx, name)
        if found is None:
            raise type(refused)(
                f"{name} is not among the signers this machine has pinned, and {refused.message}",
                hint="read something they wrote first (it pins their key), or ask an admin",
            ) from None
        return found


def _pinned_named(ctx: ClientContext, name: str) -> PrincipalView | None:
    from envkeep.api import schemas
    from envkeep.client.http import principal_view

    for principal_id in _pinned_ids(ctx, name):
        with contextlib.suppress(NotFoundError):
            data = _http(ctx).api.request("GET", f"/v1/principals/{principal_id}")
            found = principal_view(schemas.Principal.model_validate(data))
            if name.strip().lower() == found.name or name == grant_name(found):
                return found
    return None


def _pinned_ids(ctx: ClientContext, name: str) -> list[str]:
    """The ids of the principals this machine pinned, the one first seen under ``name`` (an
    email) first: a member's email is looked up with one request, a token's name (pinned under
    the account's own name) by asking for each pinned principal in turn."""
    pins = load_pins(ctx)
    prefix = pin_key(ctx, "")
    pinned = [
        key[len(prefix) :]
        for key in pins
        if key.startswith(prefix) and not key[len(prefix) :].startswith("name|")
    ]
    first = pins.get(name_key(ctx, name.strip().lower()))
    if first is None or first not in pinned:
        return pinned
    return [first, *(principal_id for principal_id in pinned if principal_id != first)]


# -- members ----------------------------------------------------------------------------------


def lookup(ctx: ClientContext, name: str) -> PrincipalView:
    """An account by email, or a token by its name, with its public keys."""
    from envkeep.api import schemas
    from envkeep.client.http import principal_view

    backend = _http(ctx)
    data = backend.api.request(
        "GET", f"/v1/workspaces/{backend.workspace_id}/principals/by-name", params={"name": name}
    )
    return principal_view(schemas.Principal.model_validate(data))


def refuse_lowering(lowered: Lowering) -> None:
    """A grant's default answer to lowering a role: no (saying what it would do)."""
    raise lowered.refused()


def grant(
    ctx: ClientContext,
    name: str,
    role: str,
    *,
    project: str | None,
    environment: str | None,
    confirm_lowering: Callable[[Lowering], None] = refuse_lowering,
) -> tuple[int, Revoked]:
    """Bind ``role`` and seal the grantee a share of every environment it gains; return how
    many shares were sealed, and what lowering a role revoked (the tokens above it). A grant
    that would lower the role the grantee holds at that scope goes on only once
    ``confirm_lowering`` returns (it raises to stop; by default it refuses): nothing has
    changed before then."""
    backend = _http(ctx)
    grantee = lookup(ctx, name)
    check_invite_proof(ctx, grantee)
    keys = check_pin(ctx, grantee)
    try:
        listed = scope_environments(backend, project=project, environment=environment)
    except PermissionDenied as refused:  # listing the scope needs read: granting needs admin
        where = "/".join(p for p in (project, environment) if p) or "the workspace"
        raise PermissionDenied(
            f"you need the admin role on {where} to grant a role there",
            hint=refused.hint or "ask an admin of the workspace",
        ) from None
    lowered = lowering(ctx, backend, grantee, role, (project, environment))
    if lowered is not None:
        confirm_lowering(lowered)
    shares = seal_scope_shares(
        ctx,
        backend,
        project=project,
        environment=environment,
        recipient_id=grantee.id,
        recipient=keys,
        listed=listed,
    )
    body = {
        "principal_id": grantee.id,
        "role": role,
        "project": project,
        "environment": environment,
        "shares": shares,
    }
    answer = backend.api.request(
        "POST", f"/v1/workspaces/{backend.workspace_id}/members/grant", json=body
    )
    return len(shares), finish_revocation(ctx, answer or {})  # an older server: 204, no body


@dataclass(frozen=True)
class Revoked:
    """What taking rights away did: the environments whose keys were rotated after it
    (project/env) and the tokens that ended with those rights (by name)."""

    rotated: list[str]
    tokens: list[str]

    def ended(self, whose: str) -> str:
        """``revoked 2 tokens that depended on their roles (a, b); `` (``whose``: their,
        its), or nothing when no token ended."""
        if not self.tokens:
            return ""
        count = counted(len(self.tokens), "token")
        return f"revoked {count} that depended on {whose} roles ({', '.join(self.tokens)}); "

    def keys(self) -> str:
        """``new keys for: shop/dev, shop/prod``."""
        return f"new keys for: {', '.join(self.rotated) or 'no environment'}"


def finish_revocation(ctx: ClientContext, answer: Mapping[str, Any]) -> Revoked:
    """Rotate what a revocation's ``answer`` names (`rotate_environments`); what it did."""
    ended = [str(t) for t in answer.get("tokens_revoked") or []]
    return Revoked(rotate_environments(ctx, answer), ended)


def revoke(
    ctx: ClientContext,
    name: str,
    *,
    project: str | None,
    environment: str | None,
    now: bool = False,
) -> Revoked:
    """Remove the role, then rotate the data key of every environment it (and the tokens
    that ended with it) could read; refused before anything changes when this identity could
    not rotate them all, unless ``now`` (the rotations left are then named)."""
    backend = _http(ctx)
    principal = lookup(ctx, name)
    who = shown_principal(principal)
    if not now:
        check_revocation(ctx, backend, who, (project, environment), f"revoking {who}'s role")
    body = {"principal_id": principal.id, "project": project, "environment": environment}
    try:
        answer = backend.api.request(
            "POST", f"/v1/workspaces/{backend.workspace_id}/members/revoke", json=body
        )
    except RoleNotHeld:  # the server names only a member it still knows
        where = "/".join(p for p in (project, environment) if p) or "workspace"
        raise RoleNotHeld.at(name, where) from None
    return finish_revocation(ctx, answer)


def remove(ctx: ClientContext, name: str, *, now: bool = False) -> Revoked:
    """Remove a member from the workspace (and the tokens they made), then rotate every key
    they could read (``now``: as `revoke`'s)."""
    backend = _http(ctx)
    principal = lookup(ctx, name)
    if principal.kind == "service":  # removed, it would stay a live token with no role
        raise UsageError(
            f"'{name}' is a token, not a member",
            hint=f"end it with: envkeep token revoke {shlex.quote(name)}",
        )
    who = shown_principal(principal)
    if not now:
        check_revocation(ctx, backend, who, None, f"removing {who}")
    answer = backend.api.request(
        "POST",
        f"/v1/workspaces/{backend.workspace_id}/members/remove",
        json={"principal_id": principal.id},
    )
    return finish_revocation(ctx, answer)


def rotate_environments(ctx: ClientContext, answer: Mapping[str, Any]) -> list[str]:
    """Rotate the data key of each environment a revocation's ``answer`` names; return them as
    project/env, in name order. The revocation happened already: an environment that fails
    does not stop the others, and `RotationLeft` then names each one left with the command
    that rotates it (after what its error said to do first).

    The answer names each environment (project, environment, id). Ids it lists without a name
    (a server from before it named them gives ids alone) are found by listing the workspace."""
    ids = set(answer.get("environment_ids") or [])
    named = [item for item in answer.get("environments") or [] if isinstance(item, dict)]
    missing = ids - {item.get("environment_id") for item in named}
    if missing:
        named += _named_by_listing(ctx, missing)
    rotated: list[str] = []
    left: list[tuple[str, str, str]] = []
    hints: list[str] = []
    for item in sorted(named, key=lambda i: (str(i.get("project")), str(i.get("environment")))):
        project, environment = str(item.get("project")), str(item.get("environment"))
        try:
            rotated.append(_rotate_named(ctx, project, environment, item.get("environment_id")))
        except _RenamedFailed as renamed:  # left under the name it has now
            left.append((project, renamed.name, str(renamed.__cause__)))
        except EnvkeepError as error:
            left.append((project, environment, str(error)))
            if error.hint:
                hints.append(error.hint)
        except Exception as error:  # noqa: BLE001 - the others still rotate; named below
            left.append((project, environment, type(error).__name__))
    if left:
        raise RotationLeft.of(rotated, left, hints)
    return rotated


def _rotate_named(ctx: ClientContext, project: str, environment: str, env_id: Any) -> str:
    """Rotate one environment a revocation named; its project/env. When its name is another
    environment now, or no environment (renamed), the named one is found by id and rotated
    under its new name; one that is gone needs no rotation."""
    try:
        rotate_key(ctx, environment, project=project, expected_id=env_id)
    except (EnvironmentReplaced, EnvironmentNotFound):
        if env_id is None:
            raise
        listed = scope_environments(_http(ctx), project=project)
        renamed = [i for i in listed if i.get("environment_id") == env_id]
        if not renamed:
            return f"{project}/{environment} (deleted since)"
        environment = str(renamed[0]["environment"])
        try:
            rotate_key(ctx, environment, project=project, expected_id=env_id)
        except Exception as error:
            raise _RenamedFailed(environment) from error
    return f"{project}/{environment}"


class _RenamedFailed(Exception):
    """The rotation of an environment found under its new name ``name`` failed."""

    def __init__(self, name: str) -> None:
        super().__init__(name)
        self.name = name


def _named_by_listing(ctx: ClientContext, affected: set[str]) -> list[dict[str, Any]]:
    """The workspace's environments among ``affected`` (ids), by listing them."""
    if not affected:
        return []
    backend = _http(ctx)
    found = []
    for item in scope_environments(backend):
        env_id = item.get("environment_id")
        if env_id is None:
            env_id = backend.read_environment(
                item["project"], item["environment"], []
            ).environment.id
        if env_id in affected:
            found.append(item)
    return found


def rotate_key(
    ctx: ClientContext,
    environment: str,
    *,
    project: str | None = None,
    expected_id: str | None = None,
) -> int:
    """A new data key for an environment: every current value re-encrypted under it and the
    key sealed to every current reader, in one request; return the new key version.
    ``expected_id``: the environment a revocation named, which the name must still be (not
    one renamed away and another created in its place)."""
    try:
        backend = _http(ctx)
    except UsageError:
        raise UsageError(
            "a key rotation takes a key away from those who lost access; on the embedded store"
            " you are the only one who holds it, so there is nothing to rotate",
            hint="to wrap the keys on this machine with a new passphrase: envkeep identity protect",
        ) from None
    project_name = project or ctx.project_file.project
    if project is None:
        opened = read_environment(ctx, environment, None)
    else:
        opened = _open_other(ctx, project_name, environment)
    env = opened.snapshot.environment
    if expected_id is not None and env.id != expected_id:
        raise EnvironmentReplaced(
            f"'{project_name}/{environment}' is another environment now (renamed and replaced)",
            hint=f"rotate the environment with id {expected_id} under its new name",
        )
    new_version = env.key_version + 1
    dek = crypto.new_data_key()
    target = WriteTarget(env.id, dek, new_version)
    writes = opened.rotation_writes(target)  # deletions too: newcomers hold the new key only
    readers = backend.api.request(
        "GET", f"{backend.project_path(project_name)}/environments/{environment}/readers"
    )
    shares = [_reader_share(ctx, dek, env.id, new_version, r) for r in readers]
    from envkeep.api import schemas

    body = schemas.Rotation(
        new_key_version=new_version,
        shares=[schemas.NewShare.model_validate(s) for s in shares],
        writes=[schemas.SecretWrite.model_validate(w) for w in writes],
    )
    backend.api.request(
        "POST",
        f"{backend.project_path(project_name)}/environments/{environment}/rotate",
        json=body.model_dump(mode="json"),
    )
    return new_version


def _open_other(ctx: ClientContext, project: str, environment: str) -> Any:
    from envkeep.client.vault import OpenEnvironment

    snapshot = ctx.backend.read_environment(project, environment, None)
    return OpenEnvironment(snapshot, ctx.identity, ctx.verified)


def _reader_share(
    ctx: ClientContext, dek: bytes, env_id: str, version: int, reader: dict[str, Any]
) -> dict[str, object]:
    from envkeep.api import schemas
    from envkeep.client.http import principal_view

    principal = principal_view(schemas.Principal.model_validate(reader))
    keys = check_pin(ctx, principal)
    return seal_for(
        ctx, dek, env_id=env_id, key_version=version, recipient_id=principal.id, recipient=keys
    )


def list_members(ctx: ClientContext) -> list[dict[str, Any]]:
    """Every role binding of the workspace, with fingerprints."""
    backend = _http(ctx)
    found: list[dict[str, Any]] = backend.api.request(
        "GET", f"/v1/workspaces/{backend.workspace_id}/members"
    )
    return found


def grant_command(who: str, role: str, project: str | None, environment: str | None) -> str:
    """The `member grant` that seals ``who`` the keys of ``role`` at that scope, quoted for a
    shell."""
    scope = [
        *(["--project", project] if project else []),
        *(["--env", environment] if environment else []),
    ]
    return shlex.join(["envkeep", "member", "grant", who, role, *scope])


def invite(
    ctx: ClientContext, email: str, role: str, *, project: str | None, environment: str | None
) -> str:
    """A one-time invite code for ``email`` (give it to them with the server URL). Its secret
    is also kept here, to check later that the server hands out the keys they registered."""
    backend = _http(ctx)
    body = {"email": email, "role": role, "project": project, "environment": environment}
    data = backend.api.request("POST", f"/v1/workspaces/{backend.workspace_id}/invites", json=body)
    code = str(data["code"])
    from envkeep.client.accounts import split_invite_code

    invite_id, secret = split_invite_code(code)
    path = _invites_file(ctx)
    with exclusive(path):  # two invites made at once each keep their secret
        kept = _invites(ctx)
        kept[invite_id] = secret
        write_atomic(path, json.dumps(kept, indent=2).encode(), mode=0o600)
    return code


def _invites_file(ctx: ClientContext) -> Any:
    return ctx.settings.home / "invites.json"


def _invites(ctx: ClientContext) -> dict[str, str]:
    path = _invites_file(ctx)
    return dict(json.loads(path.read_text())) if path.exists() else {}


def check_invite_proof(ctx: ClientContext, principal: PrincipalView) -> bool:
    """True when an invite made here proves these are the keys the invitee registered; an
    IntegrityError when it proves they are not; False when no invite of ours covers them."""
    backend = _http(ctx)
    kept = _invites(ctx)
    proofs = backend.api.request(
        "GET", f"/v1/workspaces/{backend.workspace_id}/principals/{principal.id}/invite-proofs"
    )
    public = crypto.PublicKeys(principal.encryption_public, principal.signing_public)
    for proof in proofs:
        secret = kept.get(proof["invite_id"])
        if secret is None:
            continue
        if crypto.invite_key_proof(secret, public) != proof["key_proof"]:
            raise IntegrityError(
                f"the server handed out keys for {shown_principal(principal)} that are not the"
                " ones they registered with your invite",
                hint="do not share keys with this account; ask them for their fingerprint",
            )
        return True
    return False
