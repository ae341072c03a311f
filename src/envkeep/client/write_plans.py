"""New versions of secrets planned against what was read: each sealed and signed for its
environment's current data key, its size checked first."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from envkeep import crypto
from envkeep.app.views import SecretWrite
from envkeep.client.envelopes import seal_version
from envkeep.core.errors import UsageError
from envkeep.core.limits import MAX_NAME_BYTES, MAX_VALUE_BYTES

if TYPE_CHECKING:
    from envkeep.client.envelopes import Signed
    from envkeep.client.identity import Identity


def damaged_name(secret_id: str, scope: str, taken: set[tuple[str, str]]) -> str:
    """The name a rotation's deletion of a damaged secret carries (`rotation_writes`): of its
    id, unique in its scope among ``taken`` (scope, name) pairs, which it joins. The id is the
    writer's to choose: two ids alike in their first characters, or a variable a writer named
    as such a deletion, made two writes of one name index, which the server refuses, and the
    key could not be rotated away from that writer."""
    base = "DAMAGED_" + "".join(c for c in secret_id if c.isascii() and c.isalnum())[:12].upper()
    name, count = base, 1
    while (scope, name) in taken:
        count += 1
        name = f"{base}_{count}"
    taken.add((scope, name))
    return name


def check_size(name: str, value: str | None) -> None:
    """Refuse a name over 1 KiB, or a value over 64 KiB (UTF-8), before anything is written
    (`core.limits`): `run` hands every value to the command in its environment, where Linux
    takes at most 128 KiB a variable and about 2 MiB for all of them together, and a larger
    one failed only then, at exec."""
    if len(name) * 4 > MAX_NAME_BYTES:  # at most 4 bytes a character: measured only then
        named = len(name.encode("utf-8", "surrogatepass"))
        if named > MAX_NAME_BYTES:
            raise UsageError(
                f"the name {name[:40]}… is {named:,} bytes; a name holds at most"
                f" {MAX_NAME_BYTES:,}; nothing was written",
                hint="use a shorter name",
            )
    if value is None or len(value) * 4 <= MAX_VALUE_BYTES:  # at most 4 bytes a character
        return
    size = len(value.encode("utf-8", "surrogatepass"))
    if size > MAX_VALUE_BYTES:
        raise UsageError(
            f"the value of {name} is {size:,} bytes; a value holds at most {MAX_VALUE_BYTES:,}"
            " (64 KiB), as each is passed to commands in their environment; nothing was written",
            hint="keep a large file (a bundle, an archive) where the service can read it, and"
            " its path in a variable",
        )


@dataclass(frozen=True)
class WriteTarget:
    """The environment a write is sealed for: its id and current data key."""

    env_id: str
    dek: bytes = field(repr=False)
    key_version: int


def plan_write(
    identity: Identity,
    target: WriteTarget,
    scope: str,
    name: str,
    value: str | None,
    *,
    existing: tuple[str, int] | None = None,
    signed: Signed | None = None,
) -> SecretWrite:
    """One new version of ``name`` in ``scope``, sealed and signed; ``existing`` is the
    (secret id, version) it replaces, None for a new variable; ``signed``: as `seal_version`."""
    import uuid  # only writers pay for it

    secret_id, current = existing if existing else (str(uuid.uuid4()), 0)
    sealed = seal_version(
        dek=target.dek,
        key_version=target.key_version,
        env_id=target.env_id,
        scope=scope,
        secret_id=secret_id,
        version=current + 1,
        name=name,
        value=value,
        author_id=identity.principal_id,
        author=identity.keys,
        signed=signed,
    )
    return SecretWrite(
        secret_id=secret_id,
        scope=scope,
        name_index=crypto.name_index(target.dek, name),
        expected_version=current,
        key_version=target.key_version,
        name_ct=sealed.name_ct,
        value_ct=sealed.value_ct,
        signature=sealed.signature,
    )
