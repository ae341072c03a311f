"""Key versions a server's answer cannot hold, told apart from a key the reader was not given.

An environment's key versions start at 1 and rise by one per rotation; a rotation writes every
variable again under the key it makes, and every write after it is under that key. So no
variable's version is under a key newer than the environment's current one, nor under key 0,
and an environment with variables has some under its current key, each signed (its AAD binds
the key version) by whoever wrote it. An answer otherwise was altered or served wrong: before,
it ended in "you hold no key" (exit 4), sending the reader to ask an admin for a key they do
not need, and its hint could be to delete and re-create the environment. It is refused as an
altered answer instead, naming the variable and what to do, as a version moved to another key
version is (`damaged_secrets`); a reader left out of a real rotation (its new key's versions
verify) is still told it holds no key.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from envkeep import crypto
from envkeep.app.reads import SHARED_SCOPE, service_scope
from envkeep.client.envelopes import VersionOpener, named_environment
from envkeep.core.errors import IntegrityError, PermissionDenied

if TYPE_CHECKING:
    from envkeep.app.views import EnvironmentSnapshot, SecretView
    from envkeep.client.envelopes import Verify


def impossible_key_version(key_version: int, current: int) -> str | None:
    """Why a version under ``key_version`` cannot be in an environment whose current key
    version is ``current`` (a damaged secret's reason), or None."""
    if key_version > current:
        return (
            f"its version names key v{key_version}, newer than the environment's current key"
            f" v{current}: the store was altered"
        )
    if key_version < 1:
        return (
            f"its version names key v{key_version}, which no environment has: the store was altered"
        )
    return None


def served_wrong(snapshot: EnvironmentSnapshot, verify: Verify) -> IntegrityError | None:
    """The refusal of ``snapshot``, whose current key the reader holds no share of, when no
    real environment can be as it was answered; None when it may be (a key not given)."""
    current = snapshot.environment.key_version
    live = [s for s in snapshot.secrets if s.current.value_ct is not None]
    for secret in live:
        why = impossible_key_version(secret.current.key_version, current)
        if why is not None:
            return _refusal(snapshot, secret, why)
    under = [s for s in live if s.current.key_version == current]
    if live and not under:
        return _refusal(
            snapshot,
            live[0],
            f"it is under key v{live[0].current.key_version}, and no variable is under the"
            f" environment's current key v{current} (a rotation writes each under its new key)",
        )
    forged = [s for s in under if not _signed_under_current(snapshot, s, verify)]
    if under and len(forged) == len(under):
        return _refusal(snapshot, forged[0], f"its signature does not verify under key v{current}")
    return None


def _signed_under_current(
    snapshot: EnvironmentSnapshot, secret: SecretView, verify: Verify
) -> bool:
    """Whether ``secret``'s current version was signed by its author under the key version
    it names (verified, then found under a key not held: PermissionDenied)."""
    author = next((a for a in snapshot.authors if a.id == secret.current.author_id), None)
    if author is None:
        return False
    opener = VersionOpener({}, snapshot.environment.id, verify, named="")
    try:
        opener(secret.current, crypto.PublicKeys(author.encryption_public, author.signing_public))
    except PermissionDenied:
        return True
    except IntegrityError:
        return False
    return True  # pragma: no cover - no key is held, so nothing opens


def _refusal(snapshot: EnvironmentSnapshot, secret: SecretView, why: str) -> IntegrityError:
    from envkeep.app.principal_labels import shown_name

    project, env = snapshot.project.name, snapshot.environment.name
    author = next((a for a in snapshot.authors if a.id == secret.current.author_id), None)
    shown = shown_name(author.name, author.kind) if author else "?"
    who = f" --principal {author.name}" if author else " --action secrets"
    return IntegrityError(
        f"the server answered {named_environment(snapshot)} with key version"
        f" {snapshot.environment.key_version}, which it cannot have: variable {secret.id}"
        f" ({_scope(snapshot, secret.scope)}, version {secret.current.version}, written by"
        f" {shown}): {why}; nothing was read",
        hint=(
            "the answer was altered (the server's database, or a proxy), not a key withheld:"
            f" no admin needs to seal you a key; ask whoever runs the server to check it; the"
            f" audit names the write: envkeep audit --env {env} --project {project}{who}"
        ),
    )


def _scope(snapshot: EnvironmentSnapshot, scope: str) -> str:
    if scope == SHARED_SCOPE:
        return SHARED_SCOPE
    return next((s.name for s in snapshot.services if service_scope(s.id) == scope), scope)
