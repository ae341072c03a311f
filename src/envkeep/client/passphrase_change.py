"""Changing your passphrase on the team server: proved first, then your keys re-wrapped."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from envkeep import crypto
from envkeep.client.accounts import authed, kdf_params, server_identity

if TYPE_CHECKING:
    from envkeep.settings import Settings


@dataclass(frozen=True)
class PassphraseProof:
    """The login key of your current passphrase, checked by the server (see prove_passphrase)."""

    auth_key: bytes


def prove_passphrase(settings: Settings, current: str) -> PassphraseProof:
    """Check ``current`` with the server before a new passphrase is asked for: a wrong one is
    refused here (NotAuthenticated), not after the new one was typed twice. Attempts count
    against the account's login budget. A server older than the check proves it at the change."""
    from envkeep.api.encoding import b64e
    from envkeep.api.schemas import Prelogin
    from envkeep.client.answers import read_answer
    from envkeep.core.errors import NotAnEnvkeepRoute

    session, api = authed(settings)
    try:
        pre = read_answer(
            Prelogin,
            api.request(
                "POST", "/v1/auth/prelogin", json={"email": session.email}, answer=Prelogin
            ),
        )
        master = crypto.derive_passphrase_key(
            current, pre.kdf_salt, kdf_params(pre.kdf.model_dump())
        )
        auth_key, _ = crypto.split_passphrase_key(master)
        # A server without the check has no such route: the change itself proves it.
        try:
            api.request("POST", "/v1/account/passphrase/check", json={"auth_key": b64e(auth_key)})
        except NotAnEnvkeepRoute as error:
            if not error.route_missing:
                raise
    finally:
        api.close()
    return PassphraseProof(auth_key)


def change_passphrase(settings: Settings, proof: PassphraseProof, *, new: str) -> int:
    """Re-wrap your keys under a new passphrase; every other session ends. Returns how many."""
    from envkeep.api.encoding import b64e
    from envkeep.api.schemas import SessionsEnded
    from envkeep.client.answers import read_answer

    session, api = authed(settings)
    try:
        identity = server_identity(settings, session, None)
        salt, params = crypto.new_salt(), crypto.DEFAULT_KDF
        new_auth, new_wrap = crypto.split_passphrase_key(
            crypto.derive_passphrase_key(new, salt, params)
        )
        body = {
            "old_auth_key": b64e(proof.auth_key),
            "new_auth_key": b64e(new_auth),
            "kdf_salt": b64e(salt),
            "kdf": {
                "memory_kib": params.memory_kib,
                "iterations": params.iterations,
                "lanes": params.lanes,
            },
            "wrapped_private_keys": b64e(crypto.wrap_private_keys(identity.keys, new_wrap)),
        }
        answer = api.request("POST", "/v1/account/passphrase", json=body, answer=SessionsEnded)
    finally:
        api.close()
    return read_answer(SessionsEnded, answer).ended
