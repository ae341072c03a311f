"""This machine's personal overrides, ``.envkeep/local.env``: the values it gives, and whether
an environment gets them.

They are the top layer of what a service sees (DESIGN §2), never uploaded, and meant for the
daily loop on a laptop. A protected environment (`env edit ENV --protect`: production) never
gets them, whichever command reads it: a `LOG_LEVEL=debug` kept for dev must not reach a
production Secret or process. ENVKEEP_LOCAL_OVERRIDES=on applies them there too, deliberately.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from envkeep.core.errors import InputError
from envkeep.core.wording import counted

if TYPE_CHECKING:
    from envkeep.app.views import EnvironmentView
    from envkeep.client.context import ClientContext
    from envkeep.core.projectfile import ProjectFile

LOCAL_OVERRIDES = ".envkeep/local.env"
# How to apply them to a protected environment all the same (`Settings.local_overrides`).
OPT_IN = "ENVKEEP_LOCAL_OVERRIDES=on"


def local_overrides(project: ProjectFile) -> dict[str, str]:
    """Personal overrides from .envkeep/local.env (never uploaded), if the file exists."""
    path = project.root / LOCAL_OVERRIDES
    if not path.is_file():
        return {}
    from envkeep.core.dotenv import parse_dotenv

    return parse_dotenv(path.read_text(encoding="utf-8"), source=str(path)).values


def overrides_for(ctx: ClientContext, environment: EnvironmentView) -> dict[str, str]:
    """The personal overrides ``environment`` gets: all of them, or none for a protected one
    (unless ENVKEEP_LOCAL_OVERRIDES=on), with a note (once per command) naming what was left
    out and how to apply it deliberately."""
    if not environment.protected or ctx.settings.local_overrides:
        overrides = local_overrides(ctx.project_file)
        _note_service_like(ctx, overrides)
        return overrides
    _note_left_out(ctx, environment.name)
    return {}


def _note_service_like(ctx: ClientContext, overrides: dict[str, str]) -> None:
    """Say so of a line like ``api.PORT=1``: names may hold dots, so it sets a variable named
    ``api.PORT`` in every service, and api's PORT stays as it was; the file has no lines for
    one service."""
    services = {entry.name for entry in ctx.project_file.services}
    dotted = [name.partition(".") for name in sorted(overrides)]
    said = [
        f"{svc}.{rest} (not {svc}'s {rest})" for svc, dot, rest in dotted if dot and svc in services
    ]
    if said:
        ctx.warn_once(
            f"note: {LOCAL_OVERRIDES} sets {', '.join(said)}: a name may hold a dot, so each is"
            " a variable of that whole name, in every service; the file has no per-service lines"
        )


def _note_left_out(ctx: ClientContext, env: str) -> None:
    """Say which overrides a protected environment did not get; nothing when there are none.
    A local.env that does not parse is left out all the same (it stops no command there)."""
    if not (ctx.project_file.root / LOCAL_OVERRIDES).is_file():
        return
    try:
        names = sorted(local_overrides(ctx.project_file))
    except InputError:
        ctx.warn_once(left_out_note(env, None))
        return
    if names:
        ctx.warn_once(left_out_note(env, names))


def left_out_note(env: str, names: list[str] | None) -> str:
    """The note for a protected environment that did not get ``names`` (None: a local.env
    that does not parse)."""
    what = (
        f"{LOCAL_OVERRIDES}, which does not parse"
        if names is None
        else f"{counted(len(names), 'value')} from {LOCAL_OVERRIDES}: {', '.join(names)}"
    )
    return (
        f"note: {env} is protected, so your personal overrides were left out ({what}); to"
        f" apply them there deliberately, run with {OPT_IN}"
    )
