"""The base line of a kept edit buffer: the scope its text was read from, and each name's
version and value digest then, so that `edit --from` applies the user's own changes (and only
those) against the store as it is then, in the scope it was read from.

Whether another write changed a name since is judged on its value (the digest), never on its
version: a key rotation writes every value again under a new key, as a new version by whoever
rotated, and that changed nothing the user read.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING

from envkeep.core.errors import ConflictError, UsageError

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

    from envkeep.client.opened_secrets import Variable

# A kept buffer's first line (the JSON after it: `Base`'s fields).
BASE_LINE = "# envkeep edit base (edit --from reads it; keep this line): "


@dataclass(frozen=True)
class Base:
    """The scope a kept text was read from, and each name's version and value digest then."""

    env: str
    service: str | None
    names: dict[str, tuple[int, str]]


def digest(value: str) -> str:
    """A value's fingerprint in the base line (the text beside it holds values in clear
    anyway; this keeps the line short)."""
    import hashlib

    return hashlib.sha256(value.encode("utf-8")).hexdigest()[:32]


def with_base(text: str, env: str, service: str | None, read: Iterable[Variable]) -> str:
    """``text`` with the base line on top (a text that has one keeps its own)."""
    if read_base(text) is not None:
        return text
    names = {v.name: [v.version, digest(v.value)] for v in read}
    line = json.dumps({"env": env, "service": service, "names": names}, sort_keys=True)
    return f"{BASE_LINE}{line}\n{text}"


def read_base(text: str) -> Base | None:
    """The base line of a kept text; None for a text without one (a hand-written file)."""
    for line in text.splitlines():
        if line.startswith(BASE_LINE):
            try:
                found = json.loads(line.removeprefix(BASE_LINE))
                names = {str(k): (int(v[0]), str(v[1])) for k, v in found["names"].items()}
                service = found["service"]
                return Base(str(found["env"]), None if service is None else str(service), names)
            except (ValueError, KeyError, TypeError, IndexError, AttributeError):
                raise UsageError(
                    "the text's base line is damaged",
                    hint="delete that line to apply the text as the scope's whole content",
                ) from None
    return None


def kept_scope(text: str) -> tuple[str, str | None] | None:
    """The environment and service (None: shared) a kept text was read from; None for a text
    without a base line. `edit --from` takes them where no flag names them: the directory it
    runs in must not choose another scope for it."""
    base = read_base(text)
    return None if base is None else (base.env, base.service)


def changes_since(
    base: Base,
    after: Mapping[str, str],
    now: Mapping[str, Variable],
    *,
    overwrite: bool = False,
) -> dict[str, str | None]:
    """What the user changed in a kept text (``after``, against its base), refused as a
    conflict where another write changed the value of those names since (``now``: the scope's
    variables by name; ``overwrite``: written over them): another writer's changes are neither
    undone nor deleted unawares. A change someone else already made is nothing to write."""
    changes: dict[str, str | None] = {
        name: value
        for name, value in after.items()
        if name not in base.names or digest(value) != base.names[name][1]
    }
    changes.update({name: None for name in base.names if name not in after})
    # A name the text now gives the value it holds now (set to what the other write made it,
    # or deleted where that write deleted it) agrees with that write: nothing to write, and
    # no conflict.
    agreed = {n for n, v in changes.items() if (now[n].value == v if n in now else v is None)}
    moved = [n for n in changes if n not in agreed and _held(now, n) != _read(base, n)]
    if moved and not overwrite:
        said = [
            f"{n} (now version {now[n].version}, by {now[n].author} at {now[n].updated_at})"
            if n in now
            else f"{n} (deleted since)"
            for n in sorted(moved)
        ]
        raise ConflictError(
            f"changed by another write since this text was read: {', '.join(said)};"
            " nothing was written",
            hint="open envkeep edit again and make your change on what is there now",
        )
    return {
        name: value
        for name, value in changes.items()
        if (now[name].value if name in now else None) != value
    }


def _held(now: Mapping[str, Variable], name: str) -> str | None:
    """The digest of ``name``'s value in the store now; None when it holds none."""
    return digest(now[name].value) if name in now else None


def _read(base: Base, name: str) -> str | None:
    """The digest of ``name``'s value when the text was read; None when it had none."""
    return base.names[name][1] if name in base.names else None
