"""Joining and logging in to a team server, client side.

The passphrase never leaves this process: Argon2id turns it into ``auth_key`` (sent, so the
server can check it) and ``wrap_key`` (kept), which wraps the private keys the server stores
for new devices. After login the keys are kept like the local identity (0600 file or keyring)
under ``ENVKEEP_HOME/servers/<host>/``, and the session in ``ENVKEEP_HOME/session.json``.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from envkeep import crypto
from envkeep.client.identity import Identity, IdentityRecord, PassphrasePrompt, unlock
from envkeep.client.invite_codes import split_invite_code
from envkeep.client.server_urls import normalise_url
from envkeep.core.errors import CryptoError, NotAuthenticated, UsageError, WrongPassphrase
from envkeep.core.files import write_atomic

if TYPE_CHECKING:
    from pathlib import Path

    import httpx

    from envkeep.api import schemas
    from envkeep.settings import Settings

SESSION_FILE = "session.json"


@dataclass(frozen=True)
class ServerSession:
    """The active login: which server, who, which workspace, and the bearer token."""

    url: str
    email: str
    principal_id: str
    workspace_id: str | None
    token: str = field(repr=False)

    def to_json(self) -> str:
        return (
            json.dumps(
                {
                    "url": self.url,
                    "email": self.email,
                    "principal_id": self.principal_id,
                    "workspace_id": self.workspace_id,
                    "token": self.token,
                },
                indent=2,
            )
            + "\n"
        )


def server_settings(settings: Settings, url: str) -> Settings:
    """Where one server's identity lives: ENVKEEP_HOME/servers/<host_port>."""
    slug = re.sub(r"[^A-Za-z0-9.-]+", "_", url.split("://", 1)[1])
    return replace(settings, home=settings.home / "servers" / slug)


def load_session(settings: Settings) -> ServerSession | None:
    """The active login, if any."""
    path = settings.home / SESSION_FILE
    try:
        body = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except ValueError:
        raise UsageError(f"{path} is damaged", hint="log in again: envkeep login URL") from None
    return ServerSession(
        body["url"], body["email"], body["principal_id"], body.get("workspace_id"), body["token"]
    )


def save_session(settings: Settings, session: ServerSession) -> None:
    write_atomic(
        settings.home / SESSION_FILE, session.to_json().encode(), mode=0o600, private_parents=True
    )


def forget_session(settings: Settings) -> None:
    """Drop the active login (the server's identity stays on disk for the next login)."""
    (settings.home / SESSION_FILE).unlink(missing_ok=True)


def kdf_params(data: dict[str, int]) -> crypto.KdfParams:
    params = crypto.KdfParams(data["memory_kib"], data["iterations"], data["lanes"])
    try:
        params.check_floor()
    except CryptoError as error:
        raise CryptoError(
            f"the server asks for key derivation weaker than envkeep allows ({error})",
            hint="this server may be misconfigured or malicious; do not log in to it",
        ) from None
    return params


def _store_identity(
    settings: Settings, session: ServerSession, keys: crypto.PrivateKeys
) -> Identity:
    from envkeep.client.identity import store_identity

    record = IdentityRecord(
        principal_id=session.principal_id,
        name=session.email,
        public=keys.public(),
        store="file",
        protection=None,
    )
    return store_identity(server_settings(settings, session.url), record, keys)


def _finish(
    settings: Settings, url: str, data: schemas.Session, keys: crypto.PrivateKeys
) -> ServerSession:
    session = ServerSession(
        url=url,
        email=data.email,
        principal_id=data.principal_id,
        workspace_id=data.workspace_id,
        token=data.token,
    )
    _store_identity(settings, session, keys)
    save_session(settings, session)
    return session


def join(
    settings: Settings,
    url: str,
    code: str,
    *,
    email: str,
    passphrase: str,
    transport: httpx.BaseTransport | None = None,
) -> ServerSession:
    """Accept an invite: make keys here, upload the public ones and the wrapped private ones."""
    from envkeep.api import schemas
    from envkeep.api.encoding import b64e
    from envkeep.client.answers import read_answer
    from envkeep.client.api_client import ApiClient

    url = normalise_url(url)
    keys = crypto.generate_keys()
    salt = crypto.new_salt()
    params = crypto.DEFAULT_KDF
    auth_key, wrap_key = crypto.split_passphrase_key(
        crypto.derive_passphrase_key(passphrase, salt, params)
    )
    public = keys.public()
    invite = split_invite_code(code)
    body = {
        "key_proof": invite.proof(email.strip().lower(), public),
        "code": invite.sent,
        "email": email,
        "encryption_public": b64e(public.encryption),
        "signing_public": b64e(public.signing),
        "wrapped_private_keys": b64e(crypto.wrap_private_keys(keys, wrap_key)),
        "kdf_salt": b64e(salt),
        "kdf": {
            "memory_kib": params.memory_kib,
            "iterations": params.iterations,
            "lanes": params.lanes,
        },
        "auth_key": b64e(auth_key),
    }
    api = ApiClient(url, transport=transport)
    try:
        data = api.request("POST", "/v1/invites/accept", json=body, answer=schemas.Session)
    finally:
        api.close()
    return _finish(settings, url, read_answer(schemas.Session, data), keys)


@dataclass(frozen=True)
class JoinedWorkspace:
    """The workspace an invite let the account in."""

    id: str
    name: str


def join_workspace(
    settings: Settings,
    session: ServerSession,
    code: str,
    *,
    transport: httpx.BaseTransport | None = None,
) -> JoinedWorkspace:
    """Accept an invite with the account ``session`` is logged in as (its keys proved to the
    inviter, as for a new account); later commands act in the workspace it joins."""
    from envkeep.api import schemas
    from envkeep.client.answers import read_answer
    from envkeep.client.refusals import session_client

    invite = split_invite_code(code)
    record = server_record(settings, session)
    proof = invite.proof(session.email.strip().lower(), record.public)
    body = {"code": invite.sent, "key_proof": proof}
    api = session_client(settings, session, transport)
    try:
        data = api.request("POST", "/v1/invites/join", json=body, answer=schemas.Workspace)
    finally:
        api.close()
    read_answer(schemas.Workspace, data)
    joined = JoinedWorkspace(str(data["id"]), str(data["name"]))
    save_session(settings, replace(session, workspace_id=joined.id))
    return joined


def login(
    settings: Settings,
    url: str,
    *,
    email: str,
    passphrase: str,
    transport: httpx.BaseTransport | None = None,
) -> ServerSession:
    """Prelogin (salt and KDF costs, checked against the floor), derive, log in, unwrap."""
    from envkeep.api import schemas
    from envkeep.api.encoding import b64e
    from envkeep.client.answers import read_answer
    from envkeep.client.api_client import ApiClient

    url = normalise_url(url)
    api = ApiClient(url, transport=transport)
    try:
        pre = read_answer(
            schemas.Prelogin,
            api.request(
                "POST", "/v1/auth/prelogin", json={"email": email}, answer=schemas.Prelogin
            ),
        )
        params = kdf_params(pre.kdf.model_dump())
        master = crypto.derive_passphrase_key(passphrase, pre.kdf_salt, params)
        auth_key, wrap_key = crypto.split_passphrase_key(master)
        data = read_answer(
            schemas.Session,
            api.request(
                "POST",
                "/v1/auth/login",
                json={"email": email, "auth_key": b64e(auth_key)},
                answer=schemas.Session,
            ),
        )
    finally:
        api.close()
    keys = crypto.unwrap_private_keys(data.wrapped_private_keys, wrap_key)
    if keys.public().signing != data.signing_public:
        raise NotAuthenticated("the server returned keys that are not this account's")
    return _finish(settings, url, data, keys)


@dataclass(frozen=True)
class LoggedOut:
    """Where a logout was, and whether the server could be told (else its session stays
    valid there until it expires)."""

    url: str
    server_told: bool
    keys_removed: bool = True  # False: the OS keyring kept the account's keys
    refusal: str | None = None  # what answered instead of envkeep (a proxy's 401), if it did


def logout(settings: Settings, *, transport: httpx.BaseTransport | None = None) -> LoggedOut | None:
    """End the active session on the server (best effort) and here; None if there was none."""
    from envkeep.client.api_client import ApiClient
    from envkeep.client.no_answer import NoAnswer
    from envkeep.core.errors import NotAnEnvkeepRoute, UnreachableError

    session = load_session(settings)
    if session is None:
        return None
    api = ApiClient(session.url, token=session.token, transport=transport)
    told, refusal = True, None
    try:  # envkeep answers 204: a 2xx with JSON ({"hello": 1}) is another program's
        api.request("POST", "/v1/auth/logout", answer=NoAnswer)
    except NotAnEnvkeepRoute as error:  # a proxy's 401/403, another program at the URL
        told, refusal = False, error.message
    except UnreachableError:
        told = False
    except Exception:  # noqa: BLE001, S110 - the local logout must happen whatever the server says
        pass
    finally:
        api.close()
    return replace(forget_login(settings, session.url, server_told=told), refusal=refusal)


def end_replaced(previous: ServerSession, *, transport: httpx.BaseTransport | None = None) -> bool:
    """End on its server the session a new login on this machine replaced (the machine keeps
    one): left alone it stayed valid there, held by no machine, until it expired. Whether the
    server was told (best effort: the new login stands either way)."""
    from envkeep.client.api_client import ApiClient
    from envkeep.client.no_answer import NoAnswer

    api = ApiClient(previous.url, token=previous.token, transport=transport)
    try:
        api.request("POST", "/v1/auth/logout", answer=NoAnswer)
    except NotAuthenticated:  # expired or ended elsewhere already
        return True
    except Exception:  # noqa: BLE001 - the server is away: the new login stands
        return False
    finally:
        api.close()
    return True


def forget_login(settings: Settings, url: str, *, server_told: bool = True) -> LoggedOut:
    """This machine's half of a logout (also when `session revoke` ended this machine's own
    session): the session, and what the login kept of the account here."""
    forget_session(settings)
    return LoggedOut(url, server_told, _forget_account_here(settings, url))


def _forget_account_here(settings: Settings, url: str) -> bool:
    """What a login kept of the account on this machine: its unwrapped private keys and the
    offline copies of what it read. The next login brings the keys back (wrapped by the server,
    opened with the passphrase)."""
    from envkeep.client.identity import forget_identity
    from envkeep.client.offline import SnapshotCache

    kept = server_settings(settings, url)
    # Under the copies' lock, recorded: a read in flight does not keep its answer after this.
    SnapshotCache(kept.home / "snapshots").forget_everything()
    return forget_identity(kept)


def server_identity(
    settings: Settings, session: ServerSession, prompt: PassphrasePrompt | None
) -> Identity:
    """The keys of the logged-in account, as stored at login."""
    record = server_record(settings, session)
    try:
        return unlock(server_settings(settings, session.url), record, prompt)
    except WrongPassphrase as error:  # the server keeps the key file: a damaged copy is fetched
        error.hint = (
            f"{error.hint}; if it is right, log in again to fetch the key file:"
            f" envkeep login {session.url}"
        )
        raise


def server_record(settings: Settings, session: ServerSession) -> IdentityRecord:
    """The public half of the logged-in account's keys on this machine."""
    from envkeep.client.identity import load_record

    record = load_record(server_settings(settings, session.url))
    if record is None:
        raise NotAuthenticated(
            f"no keys for {session.url} on this machine",
            hint=f"log in again: envkeep login {session.url}",
        )
    return record


def data_dir(settings: Settings, url: str) -> Path:
    """Where a server's client-side data (keys, offline cache) lives."""
    return server_settings(settings, url).home


def authed(
    settings: Settings, transport: httpx.BaseTransport | None = None
) -> tuple[ServerSession, Any]:
    """The session logged in here and a client of its server (the caller closes it), which
    logs this machine out if the server no longer accepts the session."""
    from envkeep.client.refusals import session_client

    session = load_session(settings)
    if session is None:
        raise NotAuthenticated("you are not logged in to a server", hint="envkeep login URL")
    return session, session_client(settings, session, transport)


def token_name(session: ServerSession) -> str:
    """The name of the token a session of ENVKEEP_TOKEN stands for, as `token list` shows it."""
    from envkeep.api import schemas
    from envkeep.app.principal_labels import token_label
    from envkeep.client.answers import read_answer
    from envkeep.client.api_client import ApiClient

    api = ApiClient(session.url, token=session.token)
    try:
        data = api.request("GET", "/v1/whoami", answer=schemas.Whoami)
        name = read_answer(schemas.Whoami, data).principal.name
    finally:
        api.close()
    return token_label(name) or name
