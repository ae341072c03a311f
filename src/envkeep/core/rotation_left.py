"""A revocation that went through with some environments' data keys not rotated: the error
that says so (`RotationLeft`, in the tree of core/errors.py), and its wording of what to do
next: the rotate-key command of each environment left, and, for a key nobody can rotate, the
commands that re-create its environment (`recreate_words`, which the revocation's preview and
`key_holders` also say)."""

from __future__ import annotations

from envkeep.core.errors import EnvkeepError


class RotationLeft(EnvkeepError):
    """A revocation went through, but some of its environments still have the old data key;
    `of` words it. ``rotated``: project/env of those rotated; ``left``: (project, environment,
    why) of the others."""

    code = "rotation_incomplete"
    status = 500

    def __init__(
        self,
        message: str,
        *,
        hint: str | None = None,
        rotated: tuple[str, ...] = (),
        left: tuple[tuple[str, str, str], ...] = (),
    ) -> None:
        super().__init__(message, hint=hint)
        self.rotated = rotated
        self.left = left

    @classmethod
    def of(
        cls,
        rotated: list[str],
        left: list[tuple[str, str, str]],
        hints: list[str],
        lost: tuple[str, ...] = (),
    ) -> RotationLeft:
        """Each environment left, with the command that rotates it (after ``hints``: what
        their errors said to do first); ``lost`` (project/env, among ``left``): those whose
        key no admin who keeps access holds, which nobody can rotate: re-created instead."""
        names = ", ".join(f"{p}/{e} ({why})" for p, e, why in left)
        done = f"; new keys for: {', '.join(rotated)}" if rotated else ""
        # One whose error's hint gives its own rotate-key command (with what it needs first,
        # `--delete-damaged ID`) gets no second, bare one, which would be refused again.
        hinted = " ".join(hints)
        rotatable = [
            (p, e)
            for p, e, _ in left
            if f"{p}/{e}" not in lost and not _names_rotation(hinted, p, e)
        ]
        commands = "; ".join(f"envkeep env rotate-key {e} --project {p}" for p, e in rotatable)
        said = list(dict.fromkeys(hints))
        if lost:
            said.append(_lost_keys(lost))
        if rotatable:
            each = "the others" if lost else "each"
            rotate = f"rotate {each} now (until then the old keys open new values): {commands}"
            said.append(f"then {rotate}" if said else rotate)
        return cls(
            f"the access is revoked, but these keys were not rotated: {names}{done}",
            hint="; ".join(said),
            rotated=tuple(rotated),
            left=tuple(left),
        )


def _names_rotation(hinted: str, project: str, environment: str) -> bool:
    """Whether ``hinted`` gives the rotate-key command of ``project/environment`` (with more
    after it or not: a hint ending with it names it too)."""
    import re

    command = re.escape(f"rotate-key {environment} --project {project}")
    return re.search(rf"{command}(?:$|[\s;,)])", hinted) is not None


def _lost_keys(lost: tuple[str, ...]) -> str:
    """`RotationLeft`'s words for environments (project/env) nobody can rotate."""
    from envkeep.core.wording import spoken_list

    one = len(lost) == 1
    key, it, each = ("key", "it", "the") if one else ("keys", "them", "each")
    return (
        f"no admin who keeps access holds the {key} of {spoken_list(lost)}, so nobody can"
        f" rotate {it}: values written there are open to whoever held the old {key} until an"
        f" admin re-creates {each} environment and sets its values again"
        f" ({recreate_words('ENV', None)})"
    )


def recreate_words(environment: str, project: str | None) -> str:
    """The commands that re-create an environment whose key nobody can open, in the checkout
    of its ``project`` (None: each environment's own): `env delete` and `env create` act on
    the checkout's project, and a protected environment is unprotected before it is deleted."""
    import shlex

    delete = shlex.join(["envkeep", "env", "delete", environment])
    create = shlex.join(["envkeep", "env", "create", environment])
    unprotect = shlex.join(["envkeep", "env", "edit", environment, "--unprotect"])
    where = f"project {project}'s" if project is not None else "its project's"
    return f"in {where} checkout: {delete}, then {create} (a protected one first: {unprotect})"
