"""Who holds an environment's current data key, for the refusals of one who holds none.

A role opens an environment, but its values open only with a share of its data key, which an
admin who holds the key seals to the member (`member seal`). Until then, whatever needs the key
stops: a read, a grant sealing it to someone else, a revocation's rotation. The question is
then whom to ask. The environment's readers answer (the one a rotation seals to) says, for
each reader, the role that opens it to them and whether they hold its current key; the admins
among those who do can seal it or rotate it. The server answers only an admin of the
environment (as it did for rotations), so anyone else, and whoever talks to a server from
before the answer said so, is told what they were told before.

When no admin who can still act holds the key (the last were removed, or their roles taken),
nobody can seal it or rotate it again: a rotation reads the values under the old key first.
The environment is then re-created, and its values set again.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from envkeep.core.errors import EnvkeepError
from envkeep.core.rotation_left import recreate_words
from envkeep.core.wording import spoken_list

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping, Sequence

    from envkeep.client.context import ClientContext
    from envkeep.core.errors import KeyNotHeld

NAMED = 3  # holders a hint names at most; then how many more


@dataclass(frozen=True)
class KeyHolders:
    """Those who hold an environment's current key and can still act, as a person reads
    them (people first, then tokens, each by name): the admins, who may seal and rotate it,
    and the others, who read it. ``me``: the caller as `member seal` takes them; ``mine``:
    whether the caller holds the key."""

    project: str
    environment: str
    admins: tuple[str, ...]
    others: tuple[str, ...]
    me: str
    mine: bool = False

    @property
    def named(self) -> str:
        """``shop/prod``."""
        return f"{self.project}/{self.environment}"


def key_holders(
    ctx: ClientContext,
    project: str,
    environment: str,
    *,
    leaving: Callable[[Mapping[str, Any]], bool] | None = None,
) -> KeyHolders | None:
    """Who holds ``project/environment``'s current key, but for those ``leaving`` says lose
    access (a reader as the API lists them); None when that is not to be known here: the
    embedded store, a caller who is no admin of it, a server from before it said so, or any
    failure to ask (the refusal being made says more than that one would)."""
    from envkeep.client.http import HttpBackend
    from envkeep.client.key_rotation import environment_readers

    backend = ctx.backend
    if not isinstance(backend, HttpBackend):
        return None
    try:
        readers = environment_readers(backend, project, environment)
    except EnvkeepError:
        return None
    return holders_among(ctx, project, environment, readers, leaving or (lambda _reader: False))


def holders_among(
    ctx: ClientContext,
    project: str,
    environment: str,
    readers: Sequence[Mapping[str, Any]],
    leaving: Callable[[Mapping[str, Any]], bool],
) -> KeyHolders | None:
    """`key_holders` from the readers answer ``readers``; None when it does not say who holds
    the key (a server from before it did), or does not list the caller."""
    from envkeep.api import schemas
    from envkeep.client.answers import read_answer
    from envkeep.client.principal_names import member_name, shown_member

    admins: list[tuple[bool, str]] = []
    others: list[tuple[bool, str]] = []
    me, mine = None, False
    for item in readers:
        reader = read_answer(schemas.Reader, item)
        if reader.holds_key is None or reader.role is None:
            return None  # a server from before the answer said who holds the key
        said = {"name": reader.name, "kind": reader.kind}
        if reader.id == ctx.identity.principal_id:
            me, mine = member_name(said), reader.holds_key
        if reader.holds_key and not leaving(item):
            held = admins if reader.role == "admin" else others
            held.append((reader.kind == "service", shown_member(said)))
    if me is None:  # the caller reads it, or the server would not have answered
        return None
    return KeyHolders(project, environment, _people_first(admins), _people_first(others), me, mine)


def own_keys_hint(
    ctx: ClientContext, scopes: Sequence[tuple[str | None, str | None]], command: str
) -> str | None:
    """Whom the caller asks to run ``command`` (the `member seal` of their own name) for the
    keys they lack of the environments ``scopes`` cover ((project, environment), None: all of
    it): the admins who hold them all, or each one's; and when no admin holds one, that nobody
    can seal it. None when that is not to be known here (as `key_holders`), or they lack
    none."""
    lacking = _lacking(ctx, scopes)
    if not lacking:
        return None
    stuck = [h for h in lacking if not h.admins]
    if len(stuck) == 1:
        return unopenable(stuck[0])
    if stuck:
        return (
            f"no admin who keeps access holds the keys of {spoken_list([h.named for h in stuck])}:"
            " nobody can seal them or rotate them; an admin re-creates each of those environments"
            f" and sets its values again: {recreate_words('ENV', None)}"
        )
    common = [a for a in lacking[0].admins if all(a in h.admins for h in lacking[1:])]
    each = "; ".join(f"{h.named}: {names(h.admins)}" for h in lacking)
    it = "it" if len(lacking) == 1 else "them"
    return f"ask one who holds {it} ({names(common) if common else each}) to run: {command}"


def _lacking(
    ctx: ClientContext, scopes: Sequence[tuple[str | None, str | None]]
) -> list[KeyHolders] | None:
    """Who holds each key the caller lacks of the environments ``scopes`` cover; None when
    that is not to be known here."""
    from envkeep.client.http import HttpBackend
    from envkeep.client.scope_shares import scope_environments

    backend = ctx.backend
    if not isinstance(backend, HttpBackend):
        return None
    try:
        covered = {
            (str(item["project"]), str(item["environment"]))
            for project, environment in scopes
            for item in scope_environments(backend, project=project, environment=environment)
        }
    except EnvkeepError:
        return None
    lacking: list[KeyHolders] = []
    for project, environment in sorted(covered):
        holders = key_holders(ctx, project, environment)
        if holders is None:
            return None
        if not holders.mine:
            lacking.append(holders)
    return lacking


def _people_first(found: list[tuple[bool, str]]) -> tuple[str, ...]:
    return tuple(name for _token, name in sorted(found))


def names(holders: Sequence[str]) -> str:
    """``a@x.io``, ``a@x.io and b@x.io``, ``a@x.io, b@x.io, c@x.io and 2 more``."""
    if len(holders) <= NAMED:
        return spoken_list(holders)
    return f"{', '.join(holders[:NAMED])} and {len(holders) - NAMED} more"


def asking(holders: KeyHolders, command: str | None) -> str:
    """A key-not-held refusal's hint: ask an admin who holds the key to run ``command`` (or
    first to seal it to the caller), or, with ``command`` None, to seal it to the caller;
    when no admin holds it, that no one can, and what is left to do."""
    from envkeep.client.member_seal import seal_command  # it imports members, which uses this

    if not holders.admins:
        return unopenable(holders)
    ask = f"ask one who holds it ({names(holders.admins)})"
    mine = seal_command(holders.me)
    if command is None:
        return f"{ask} to seal it to you: they run {mine}"
    return f"{ask} to run: {command}; or to seal it to you first (then run this again): {mine}"


def unopenable(holders: KeyHolders) -> str:
    """What to do about an environment whose current key no admin who keeps access holds:
    nobody can seal it or rotate it (a rotation opens the values first), so it is re-created
    and its values set again (those who still hold the key can read them first)."""
    where = f"the key of {holders.named}"
    if holders.others:
        said = (
            f"no admin who keeps access holds {where}, only {names(holders.others)}, who"
            f" cannot seal it: nobody can seal it or rotate it; {holders.others[0]} can still"
            " read its values, so"
        )
    else:
        said = (
            f"no one who keeps access holds {where}: nobody can seal it or rotate it, and its"
            " values cannot be read again;"
        )
    return (
        f"{said} an admin of project {holders.project} re-creates the environment and sets"
        f" them again: {recreate_words(holders.environment, holders.project)}"
    )


def named_holders(ctx: ClientContext, missing: KeyNotHeld, command: str | None) -> KeyNotHeld:
    """``missing`` with a hint naming who holds the key (`asking`) where the caller may see
    them; as it is otherwise."""
    holders = key_holders(ctx, missing.project, missing.environment)
    if holders is None:
        return missing
    return missing.told(asking(holders, command), lost=not holders.admins)
