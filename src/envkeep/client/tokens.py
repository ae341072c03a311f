"""Service-account tokens, client side: create and rotate (keys made here, shares sealed here),
list, revoke (then rotate what it could read), and using one through ENVKEEP_TOKEN.

A token is ``ek_sa_v2_<principal id>_<secret>``. The secret derives two keys (DESIGN §4): the
one that unwraps the account's private keys, which never leaves this machine, and the bearer
credential sent to the server, ``ek_sa_<principal id>_<auth key>`` (the server keeps its
SHA-256), from which the first cannot be derived. A token made before v2, ``ek_sa_<principal
id>_<secret>``, is its own bearer credential: the server sees its secret, so it can unwrap the
keys; such a token still works, with a warning to rotate it (`LEGACY_WARNING`).
"""

from __future__ import annotations

import secrets
import shlex
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from envkeep import crypto
from envkeep.api.encoding import b64d, b64e
from envkeep.app.credentials import token_hash
from envkeep.client.key_rotation import rotate_environments
from envkeep.client.members import Revoked, finish_revocation, list_members
from envkeep.client.pins import load_pins, pin_made_here
from envkeep.client.revocation_plan import RevocationPlan, refuse_plan
from envkeep.client.revocation_preview import REVOKE_NOW, TokenRevoker, check_token_rotation
from envkeep.client.scope_shares import seal_scope_shares
from envkeep.client.signer_list import ScopeSigners, scope_signers
from envkeep.client.team_server import team_backend
from envkeep.core.durations import parse_duration
from envkeep.core.errors import (
    EnvkeepError,
    NotAuthenticated,
    NotFoundError,
    PermissionDenied,
    UsageError,
)
from envkeep.core.timestamps import as_utc, utc_second

if TYPE_CHECKING:
    from collections.abc import Callable, Collection

    from envkeep.app.views import EnvironmentSnapshot
    from envkeep.client.accounts import ServerSession
    from envkeep.client.context import ClientContext
    from envkeep.client.http import HttpBackend

PREFIX = "ek_sa_"  # every token's, and the bearer credential's
_V2 = "v2_"  # after PREFIX: a token whose secret never goes to the server
_SECRET_BYTES = 32  # a token's secret (256 bits)
_WRAP_INFO = b"envkeep/v1/service-account-wrap"
_AUTH_INFO = b"envkeep/v1/service-account-auth"


@dataclass(frozen=True)
class ParsedToken:
    """What a token holds: its account, its secret, and whether it is a v2 token."""

    principal_id: str
    secret: bytes = field(repr=False)
    v2: bool

    @property
    def bearer(self) -> str:
        """The credential sent to the server: for a v2 token, a key derived from the secret,
        which reveals nothing of the key that unwraps the account's private keys; an older
        token is sent whole, as its server expects."""
        secret = auth_key(self.secret) if self.v2 else self.secret
        return f"{PREFIX}{self.principal_id}_{b64e(secret)}"


def parse_token(token: str) -> ParsedToken:
    """A token's parts; a usage error when it is not one."""
    if not token.strip().startswith(PREFIX):
        raise UsageError("ENVKEEP_TOKEN is not an envkeep token", hint="it starts with ek_sa_")
    body = token.strip().removeprefix(PREFIX)
    v2 = body.startswith(_V2)
    principal_id, sep, secret = body.removeprefix(_V2).partition("_")
    try:
        decoded = b64d(secret) if sep and len(principal_id) == 36 else b""
    except ValueError:
        decoded = b""
    if len(decoded) != _SECRET_BYTES:  # the id or the secret cut short, or damaged
        raise UsageError(
            "ENVKEEP_TOKEN is cut short or damaged: an envkeep token is ek_sa_v2_, an id of 36"
            " characters, '_' and a secret of 43",
            hint="copy it again whole from where it was kept (token create printed it once)",
        )
    return ParsedToken(principal_id, decoded, v2)


def wrap_key(secret: bytes) -> bytes:
    """The key that wraps a service account's private keys, from its token's secret."""
    return crypto.hkdf_sha256(secret, salt=None, info=_WRAP_INFO, length=32)


def auth_key(secret: bytes) -> bytes:
    """The key a v2 token authenticates with, from its secret (the server sees this one)."""
    return crypto.hkdf_sha256(secret, salt=None, info=_AUTH_INFO, length=_SECRET_BYTES)


# What is said of a token made before v2 (its secret goes to the server, which can then unwrap
# its keys and read what it reads), on every command that uses it.
LEGACY_WARNING = (
    "ENVKEEP_TOKEN was made by an envkeep older than 0.2: it sends the server its secret,"
    " from which the server could unwrap its keys and read what it reads; replace it with"
    " envkeep token rotate NAME (run by an admin; the new token never sends its secret)"
)


NEVER = "never"  # the lifetime of a token that does not expire


def _expiry(expires: str | None) -> str | None:
    """When a token made now with lifetime ``expires`` ends (None: never, or not given)."""
    if expires is None or expires == NEVER:
        return None
    return (datetime.now(UTC) + parse_duration(expires)).isoformat()


@dataclass(frozen=True)
class _NewAccount:
    """Fresh keys for a service account, wrapped under a fresh token's secret."""

    token: str = field(repr=False)
    principal_id: str
    public: crypto.PublicKeys
    body: dict[str, Any] = field(repr=False)  # what the server stores about it


def _new_account(expires: str | None) -> _NewAccount:
    keys = crypto.generate_keys()
    principal_id = str(uuid.uuid4())
    secret = secrets.token_bytes(_SECRET_BYTES)
    token = f"{PREFIX}{_V2}{principal_id}_{b64e(secret)}"
    expires_at = _expiry(expires)
    public = keys.public()
    body = {
        "principal_id": principal_id,
        "encryption_public": b64e(public.encryption),
        "signing_public": b64e(public.signing),
        "wrapped_private_keys": b64e(crypto.wrap_private_keys(keys, wrap_key(secret))),
        "token_hash": token_hash(parse_token(token).bearer),
        "expires_at": expires_at,
    }
    return _NewAccount(token, principal_id, public, body)


def create_token(
    ctx: ClientContext,
    name: str,
    role: str,
    *,
    project: str | None,
    environment: str | None,
    expires: str | None,
) -> CreatedToken:
    """A new service account with ``role`` at the scope: its token, shown once, when it
    expires (as the server says: without ``expires``, its maximum lifetime where it has one),
    and who signed what its scope holds now (from the reads that seal its shares).
    Without a project the scope is the whole workspace; a creator without the rights that
    needs is told so, with the ``--project`` that would do (`workspace_wide_refused`)."""
    backend = team_backend(ctx)
    new = _new_account(expires)
    pins_before = load_pins(ctx)  # the read below pins the signers first seen in it
    read: list[EnvironmentSnapshot] = []
    try:
        shares = seal_scope_shares(
            ctx,
            backend,
            project=project,
            environment=environment,
            recipient_id=new.principal_id,
            recipient=new.public,
            read=read,
        )
        scope = {"name": name, "role": role, "project": project, "environment": environment}
        body = {**new.body, **scope, "shares": shares, **_never(expires)}
        answer = _post_token(backend, body)
    except PermissionDenied as refused:
        if project is not None:
            raise
        raise workspace_wide_refused(ctx, name, role, refused) from None
    pin_made_here(ctx, new.principal_id, new.public)
    signed = scope_signers(ctx, read, pins_before)
    if not isinstance(answer, dict):  # an older server: 201, no body; as asked, then
        return CreatedToken(new.token, new.body["expires_at"], signed)
    at_maximum = answer.get("at_maximum") is True
    return CreatedToken(new.token, answer.get("expires_at"), signed, at_maximum)


def _never(expires: str | None) -> dict[str, bool]:
    # Sent only when asked for: a server from before the field refuses unknown fields.
    return {"never_expires": True} if expires == NEVER else {}


def _post_token(backend: HttpBackend, body: dict[str, Any]) -> Any:
    """Create the token; a server from before ``never_expires`` refuses the field, and makes
    a token that never expires without it: asked so again."""
    path = f"/v1/workspaces/{backend.workspace_id}/tokens"
    try:
        return backend.api.request("POST", path, json=body)
    except EnvkeepError as refused:  # an older server's 422 has a code this client lacks
        unknown = type(refused) is EnvkeepError and "never_expires" in refused.message
        if "never_expires" not in body or not unknown:
            raise
    older = {key: value for key, value in body.items() if key != "never_expires"}
    return backend.api.request("POST", path, json=older)


@dataclass(frozen=True)
class CreatedToken:
    """A token made by `token create`, to be shown once; when it expires (ISO 8601; None:
    never); who signed what its scope holds now, as its creator's read met them."""

    token: str = field(repr=False)
    expires_at: str | None
    signed: ScopeSigners
    at_maximum: bool = False  # the server's maximum lifetime chose it (no --expires given)


def workspace_wide_refused(
    ctx: ClientContext, name: str, role: str, refused: PermissionDenied
) -> PermissionDenied:
    """The refusal of a token without ``--project``: it would cover the whole workspace,
    where the creator lacks the rights (the server's reason kept); the hint names the
    checkout's project (or ENVKEEP_PROJECT's) when there is one."""
    named = ctx.has_checkout or bool(ctx.settings.project)
    project = ctx.project_file.project if named else None
    message = (
        f"without --project a token holds its role on the whole workspace, and you cannot"
        f" give one {role} there: {refused.message}"
    )
    held = _scopes_holding(ctx, role)
    if not held:
        where = f" --project {project or 'NAME'}"
        return PermissionDenied(
            message, hint=f"limit it to a project: envkeep token create {name} --role {role}{where}"
        )
    held.sort(key=lambda scope: scope[0] != project)  # the checkout's project first
    options = [shlex.join(["--project", p, *(["--env", e] if e else [])]) for p, e in held]
    more = f" (or {'; '.join(options[1:4])})" if len(options) > 1 else ""
    return PermissionDenied(
        message,
        hint=f"limit it to where you hold {role}: envkeep token create {name} --role {role}"
        f" {options[0]}{more}",
    )


def _scopes_holding(ctx: ClientContext, role: str) -> list[tuple[str, str | None]]:
    """The projects (and environments) where the caller holds ``role`` or more, from the
    member list (which shows everyone their own roles); none when it cannot be read."""
    from envkeep.app.policy import Role

    try:
        wanted = Role.parse(role)
        found = list_members(ctx)
    except (KeyError, EnvkeepError):
        return []
    me = ctx.identity.principal_id
    held: list[tuple[str, str | None]] = []
    for member in found:
        if member["principal"]["id"] != me or not member.get("project"):
            continue
        if member["role"] in {"read", "write", "admin"} and Role.parse(member["role"]) >= wanted:
            held.append((member["project"], member.get("environment")))
    return held


@dataclass(frozen=True)
class Minted:
    """A token made now, to be shown once, and when it expires (ISO 8601; None: never).
    ``known`` False: the server did not say (one older than this client, asked to keep the old
    token's lifetime)."""

    token: str = field(repr=False)
    expires_at: str | None
    known: bool = True
    at_maximum: bool = False  # the server's maximum lifetime chose it (capped, or none asked)


def rotate_token(
    ctx: ClientContext, name: str, *, expires: str | None, show: Callable[[Minted], None]
) -> list[str]:
    """Replace the live token named ``name`` by one with new keys, the same roles and scopes
    (and, without ``expires``, the same lifetime; ``never``: none); the old one stops working
    at once. The new token goes to ``show`` (it is shown once) before the data key of every
    environment the old one could read is rotated, as a revocation does, so that a rotation
    that fails cannot lose it. Return the rotated environments."""
    backend = team_backend(ctx)
    rows = [t for t in list_tokens(ctx) if t["label"] == name]  # a row per role it holds
    if not rows:
        raise NotFoundError(f"no token named '{name}'", hint="see them with: envkeep token list")
    new = _new_account(expires)
    shares: dict[tuple[object, object], dict[str, object]] = {}
    # A row without a role opens nothing; a revoked token gets none (the server says why).
    live = [t for t in rows if not t["revoked"] and t["role"]]
    scopes = {(t["project"], t["environment"]) for t in live}
    if live:
        check_token_rotation(ctx, backend, name, scopes)
    for project, environment in sorted(scopes, key=str):
        for share in seal_scope_shares(
            ctx,
            backend,
            project=project,
            environment=environment,
            recipient_id=new.principal_id,
            recipient=new.public,
        ):
            shares[share["environment_id"], share["key_version"]] = share
    answer = backend.api.request(
        "POST",
        f"/v1/workspaces/{backend.workspace_id}/tokens/{name}/rotate",
        # Sent only when asked for: a server from before the flag refuses unknown fields.
        json={
            **new.body,
            "shares": list(shares.values()),
            **_never(expires),
        },
    )
    told = "expires_at" in answer  # an older server says nothing when asked to keep it
    ends = answer.get("expires_at") if told else new.body["expires_at"]
    at_maximum = answer.get("at_maximum") is True
    show(Minted(new.token, ends, known=told or expires is not None, at_maximum=at_maximum))
    pin_made_here(ctx, new.principal_id, new.public)
    old_ids = frozenset(  # rotated out: sealed nothing
        str(t["principal"]["id"]) for t in rows if isinstance(t.get("principal"), dict)
    )
    return rotate_environments(ctx, answer, old_ids)


def account_ids(ctx: ClientContext, names: Collection[str]) -> frozenset[str]:
    """The accounts of the tokens named (a row per role, ended ones too), as `token list`
    shows them; none where it shows none (the server decides what a revocation does)."""
    if not names:
        return frozenset()
    return frozenset(str(t["principal"]["id"]) for t in list_tokens(ctx) if t["label"] in names)


def list_tokens(ctx: ClientContext) -> list[dict[str, Any]]:
    """The workspace's service accounts, a row for each role, ended ones too (revoked, or
    rotated out: ``revoked`` true); ``role`` None for a token with none (an older server says
    ``"-"``)."""
    backend = team_backend(ctx)
    found: list[dict[str, Any]] = backend.api.request(
        "GET", f"/v1/workspaces/{backend.workspace_id}/tokens"
    )
    return [t | {"role": None} if t.get("role") == "-" else t for t in found]


ENDED_SHOWN_DAYS = 30  # how long `token list` shows a token after it ended (--all: always)


def recent_tokens(found: list[dict[str, Any]], now: datetime) -> tuple[list[dict[str, Any]], int]:
    """The rows of ``found`` that `token list` shows without ``--all``: every live token, and
    each that ended (revoked, or rotated out) in the last ``ENDED_SHOWN_DAYS`` days (an older
    server does not say when: shown); and how many tokens it leaves out."""
    since = now - timedelta(days=ENDED_SHOWN_DAYS)
    old = {
        t["principal"]["id"] for t in found if t.get("ended_at") and as_utc(t["ended_at"]) < since
    }
    return [t for t in found if t["principal"]["id"] not in old], len(old)


@dataclass(frozen=True)
class TokenRevoked(Revoked):
    """What `token revoke` did, and the environments whose keys it left to an admin
    (project, environment): those its creator, revoking it, is no admin of."""

    left: tuple[tuple[str, str], ...] = ()


def revoke_token(
    ctx: ClientContext,
    name: str,
    *,
    now: bool = False,
    confirm: Callable[[RevocationPlan], None] = refuse_plan,
) -> TokenRevoked:
    """End a token (and the tokens it made), then rotate the data key of every environment
    they could read. Its admin (wherever it holds a role) is refused before anything changes
    when this identity could not rotate them all (`foresee_revocation`), unless ``now``. Its
    creator, who needed no admin to make it, revokes it at once and rotates only the keys of
    the environments it is an admin of; the others are left named (`TokenRevoked.left`). It
    goes on only once ``confirm`` returns, told what it will do (it raises to stop; by
    default it refuses); a token the caller does not see live is left to the server."""
    backend = team_backend(ctx)
    revoker = TokenRevoker.of(ctx, backend, name)
    forecast = revoker.foresee(backend)
    if revoker.admin_over_all and not now:  # else cut now; what is not rotated is named
        revoker.check(ctx, backend, forecast)
    elif not now:  # ENVKEEP_SIGNERS must not stop the rotations it does do
        revoker.check_listed(ctx, backend, forecast)
    if revoker.live:
        command = shlex.join(["envkeep", "token", "revoke", name, *([REVOKE_NOW] if now else [])])
        rotates = None if revoker.admin_over_all else revoker.may_rotate
        confirm(RevocationPlan.of(forecast, command, rotates))
    ended = account_ids(ctx, {name})  # before: a token revoked is listed by whoever saw it live
    answer = backend.api.request(
        "POST", f"/v1/workspaces/{backend.workspace_id}/tokens/{name}/revoke"
    )
    if revoker.admin_over_all:
        done = finish_revocation(ctx, answer, ended)
        return TokenRevoked(done.rotated, done.tokens)
    named = [item for item in answer.get("environments") or [] if isinstance(item, dict)]
    mine = [e for e in named if revoker.may_rotate(e.get("project"), e.get("environment"))]
    scoped = {**answer, "environment_ids": [], "environments": mine}
    done = finish_revocation(ctx, scoped, ended)
    left = sorted(
        (str(e.get("project")), str(e.get("environment"))) for e in named if e not in mine
    )
    return TokenRevoked(done.rotated, done.tokens, left=tuple(left))


TokenScopes = tuple[tuple[str | None, str | None], ...]


@dataclass(frozen=True)
class TokenIdentity:
    """What the server says of the token a command runs with, its keys unwrapped here."""

    principal_id: str
    workspace_id: str
    keys: crypto.PrivateKeys
    scopes: TokenScopes  # (project, environment) by name, None for all of it; none from old servers
    expires_at: datetime | None  # None: never (or not said)
    says_expiry: bool  # False from a server from before it said


def token_identity(url: str, parsed: ParsedToken) -> TokenIdentity:
    """A token's identity as the server answers for it, checked against the token."""
    from envkeep.client.http import ApiClient

    principal_id = parsed.principal_id
    api = ApiClient(url, token=parsed.bearer)
    try:
        data = api.request("GET", "/v1/token/self")
    finally:
        api.close()
    keys = crypto.unwrap_private_keys(b64d(data["wrapped_private_keys"]), wrap_key(parsed.secret))
    if data["principal_id"] != principal_id or keys.public().signing != b64d(
        data["signing_public"]
    ):
        raise NotAuthenticated("the server's answer does not match this token")
    return TokenIdentity(
        principal_id,
        str(data["workspace_id"]),
        keys,
        _scopes(data.get("scopes")),
        _moment(data.get("expires_at")),
        "expires_at" in data,
    )


EXPIRY_WARNING = timedelta(days=7)  # a token's commands say so from this long before it ends


def expiry_warning(session: ServerSession, expires_at: datetime | None) -> str | None:
    """What a command run with a token says when the token ends within `EXPIRY_WARNING`, so
    that a CI job's log tells before the job fails; None otherwise."""
    if expires_at is None:
        return None
    left = expires_at - datetime.now(UTC)
    if left > EXPIRY_WARNING or left.total_seconds() <= 0:
        return None
    from envkeep.client.accounts import token_name
    from envkeep.core.durations import about

    name = token_name(session)
    return (
        f"ENVKEEP_TOKEN (token '{name}') expires in {about(left)}, at {utc_second(expires_at)};"
        f" an admin where it holds its role makes its successor with: envkeep token rotate"
        f" {name} (its creator may revoke it and create another)"
    )


def _moment(found: object) -> datetime | None:
    """An answer's time, read leniently: None for anything that is not one."""
    if not isinstance(found, str):
        return None
    try:
        return as_utc(found)
    except ValueError:
        return None


def _scopes(found: object) -> TokenScopes:
    """The scopes of a token's answer, read leniently: none for anything unexpected."""
    if not isinstance(found, list):
        return ()
    scopes = []
    for item in found:
        if not isinstance(item, dict):
            return ()
        project, environment = item.get("project"), item.get("environment")
        if not all(v is None or isinstance(v, str) for v in (project, environment)):
            return ()
        scopes.append((project, environment))
    return tuple(scopes)
