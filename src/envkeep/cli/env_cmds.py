"""`envkeep env …` (rotate-key too) and `envkeep promote`."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from envkeep.cli import long_plans, output
from envkeep.cli.differences import PLAN_MARKS, print_differences
from envkeep.cli.errors import report
from envkeep.cli.options import (
    DryRunPlanOpt,
    JsonOpt,
    NoValidateOpt,
    OtherProjectOpt,
    RevealOpt,
    YesOpt,
    complete_env,
    complete_service,
    complete_service_name,
    service_name,
)
from envkeep.cli.state import confirm, make_context
from envkeep.cli.unsealed import warn_unsealed
from envkeep.client import environment_diff, environments, promotion
from envkeep.client.shadowed_shared import shadow_notes
from envkeep.core.errors import EnvkeepError, UsageError

if TYPE_CHECKING:
    from envkeep.client.environment_diff import Difference

# `--project`: a command about another project's environment than this checkout's.
env_app = typer.Typer(
    help="Create, list, edit, clone, compare and delete environments.", no_args_is_help=True
)


@env_app.command("create")
def env_create(
    name: Annotated[str, typer.Argument(help="Environment name, e.g. qa.")],
    project: OtherProjectOpt = None,
) -> None:
    """Create an environment with its own data key.

    Example: envkeep env create qa (outside a checkout: --project shop)
    """
    ctx = make_context(writes=True)
    created = environments.create_environment(ctx, name, project)
    where = f" in project '{project}'" if project else ""
    output.done(f"created environment '{name}'{where}")
    warn_unsealed([name], created.unsealed)


@env_app.command("trust")
def env_trust(
    name: Annotated[str, typer.Argument(help="The environment, as the server names it now.")],
    project: OtherProjectOpt = None,
) -> None:
    """Accept the environment the team server names NAME now as that name on this machine,
    after an admin renamed, deleted or re-created environments, or restored the server's
    database from a backup (a read refuses an environment that is not the one this machine
    read under its name before, and a key version older than one it read or made).

    Example: envkeep env trust prod (ask the admin first what changed)
    """
    ctx = make_context()
    short = environments.trust_environment(ctx, name, project)
    output.done(f"'{name}' is environment {short}… on this machine from now on")


@env_app.command("list")
def env_list(json_out: JsonOpt = False) -> None:
    """List the project's environments.

    Example: envkeep env list --json
    """
    envs = environments.list_environments(make_context())
    if json_out:
        output.print_json(
            [
                {
                    "name": e.name,
                    "key_version": e.key_version,
                    "protected": e.protected,
                    "description": e.description,
                    "former_key_holders": e.former_holders,
                }
                for e in envs
            ]
        )
        return
    rows = [(e.name, "yes" if e.protected else "", e.description or "") for e in envs]
    output.print_table(("ENV", "PROTECTED", "DESCRIPTION"), rows, empty="no environments")
    for env in envs:
        if env.former_holders:
            output.done(environments.rotation_owed(env))


@env_app.command("delete")
def env_delete(
    name: Annotated[str, typer.Argument(help="Environment name.", autocompletion=complete_env)],
    yes: YesOpt = False,
) -> None:
    """Delete an environment and every variable in it.

    Example: envkeep env delete qa --yes
    """
    ctx = make_context(writes=True)
    environments.check_deletable(ctx, name)
    confirm(
        ctx.settings,
        f"Delete environment '{name}' and every variable in it (and its key: files encrypted"
        f" with 'envkeep encrypt --env {name}' can no longer be decrypted)?",
        yes=yes,
    )
    environments.delete_environment(ctx, name)
    output.done(f"deleted environment '{name}'")


@env_app.command("edit")
def env_edit(
    name: Annotated[str, typer.Argument(help="Environment name.", autocompletion=complete_env)],
    rename: Annotated[str | None, typer.Option(help="A new name.")] = None,
    description: Annotated[str | None, typer.Option(help="A description ('' clears it).")] = None,
    protect: Annotated[
        bool | None,
        typer.Option(
            "--protect/--unprotect",
            help="Protected: every write needs --yes, and it cannot be deleted.",
        ),
    ] = None,
    yes: YesOpt = False,
) -> None:
    """Rename, describe, or protect an environment.

    Unprotecting or renaming a protected environment asks first (--yes off a terminal), as
    its writes do: CI jobs and scripts name it.

    Example: envkeep env edit prod --protect --description "customer-facing"
    """
    ctx = make_context(writes=True)
    changes = [
        *(["unprotect"] if protect is False else []),
        *([f"rename to '{rename}'"] if rename is not None else []),
    ]
    if changes and environments.is_protected(ctx, name):
        confirm(ctx.settings, f"'{name}' is protected: {' and '.join(changes)} it?", yes=yes)
    env = environments.edit_environment(
        ctx, name, rename=rename, description=description, protected=protect
    )
    changed = [  # what this edit changed, not a restatement of what it left alone
        *([] if protect is None else ["protected" if env.protected else "not protected"]),
        *([] if description is None else [f"description {'set' if description else 'cleared'}"]),
    ]
    if changed:
        output.done(f"environment '{env.name}' updated ({', '.join(changed)})")
    if env.name != name:
        output.done(
            f"renamed '{name}' to '{env.name}': commands, scripts and CI that name '{name}' need"
            " the new name"
        )


@env_app.command("clone")
def env_clone(
    source: Annotated[
        str, typer.Argument(help="The environment to copy.", autocompletion=complete_env)
    ],
    target: Annotated[str, typer.Argument(help="The new environment.")],
) -> None:
    """Create an environment holding a copy of every scope's values.

    Example: envkeep env clone dev qa
    """
    ctx = make_context(writes=True)
    protected = environments.is_protected(ctx, source)  # read first: the clone is then done
    created = environments.clone_environment(ctx, source, target)
    output.done(
        f"created '{target}' with {output.counted(created.copied, 'variable')} copied from"
        f" '{source}'"
    )
    if protected:  # its values, now where writes need no --yes
        output.done(
            f"note: '{source}' is protected and '{target}' is not (local overrides apply there,"
            f" and writes need no --yes): envkeep env edit {target} --protect"
        )
    warn_unsealed([target], created.unsealed)


@env_app.command("diff")
def env_diff(
    source: Annotated[str, typer.Argument(help="One environment.", autocompletion=complete_env)],
    target: Annotated[str, typer.Argument(help="The other.", autocompletion=complete_env)],
    service: Annotated[
        str | None,
        typer.Option(
            "--service",
            "-s",
            help="Compare what this service sees (default: every scope).",
            autocompletion=complete_service_name,
        ),
    ] = None,
    reveal: RevealOpt = False,
    json_out: JsonOpt = False,
    exit_code: Annotated[
        bool,
        typer.Option(
            "--exit-code",
            help="Exit 1 when the environments differ, 0 when they do not, 2 on an error"
            " (as diff does).",
        ),
    ] = False,
) -> None:
    """Show added (+), removed (-) and changed (~) names from SOURCE to TARGET.

    With --service, SCOPE names the layer that sets each value the service sees (shared, the
    service, a template, local): "shared->api" when it is set in shared in SOURCE and in the
    service in TARGET. A name that does not resolve (a cycle, a dangling reference) is compared
    as stored and marked "(unresolved)"; the error follows the diff. With --exit-code (as git
    diff's), a script or CI step can fail on drift.

    Example: envkeep env diff staging prod --service api --exit-code
    """
    named = None if service is None else service_name(service)
    ctx = make_context()
    try:
        compared = environment_diff.compare_environments(ctx, source, target, named)
        print_differences(compared.differences, reveal=reveal, json_out=json_out)
        compared.raise_unresolved()  # after the diff: one broken name hides no drift
    except EnvkeepError as error:
        if not exit_code:
            raise
        # Exit 1 means drift here: an error (an unknown environment…) says trouble, as diff's.
        report(error, debug=ctx.settings.debug)
        raise typer.Exit(2) from None
    if exit_code and compared.differences:
        raise typer.Exit(1)


def promote(
    names: Annotated[list[str] | None, typer.Argument(help="Only these names.")] = None,
    source: Annotated[
        str,
        typer.Option("--from", help="Copy from this environment.", autocompletion=complete_env),
    ] = "",
    target: Annotated[
        str, typer.Option("--to", help="Into this environment.", autocompletion=complete_env)
    ] = "",
    service: Annotated[
        str | None,
        typer.Option(
            "--service",
            "-s",
            help="Only this scope: a service's own values, or - for the shared scope"
            " (default: every scope).",
            autocompletion=complete_service,
        ),
    ] = None,
    yes: YesOpt = False,
    no_validate: NoValidateOpt = False,
    reveal: RevealOpt = False,
    dry_run: DryRunPlanOpt = False,
) -> None:
    """Copy values from one environment into another: shows the plan, then asks.

    A plan of more than 50 values shows its first 40 and how many of each kind it holds;
    --dry-run lists every one (and writes nothing).

    The values are checked against the schemas of the target's services that will see them (or
    values referring to them), as `set` checks them, before you are asked; a value whose ${...}
    will not resolve in the target is named then, with the names to promote too.

    Example: envkeep promote --from staging --to prod DATABASE_URL --yes
    """
    if not source or not target:
        missing = " and ".join(f for f, v in (("--from", source), ("--to", target)) if not v)
        hint = "envkeep promote --from SOURCE_ENV --to TARGET_ENV [NAMES…]"
        if not source and not target and names and len(names) >= 2:  # `promote staging prod`
            meant = " ".join(["envkeep promote --from", names[0], "--to", *names[1:]])
            hint = f"environments are named with flags (names are variables): {meant}"
        raise UsageError(f"promote needs {missing}", hint=hint)
    ctx = make_context(writes=True)
    planned = promotion.plan_promotion(ctx, source, target, names or [], scope=service)
    plan = planned.differences
    if not plan:
        output.done(f"'{target}' already has every value of '{source}'; nothing to do")
        return
    _print_plan(plan, reveal=reveal, whole=dry_run)
    prepared = promotion.prepare_promotion(ctx, source, target, planned, check=not no_validate)
    _warn_unresolved(prepared, source, target, names or [])
    if dry_run:
        output.done(f"would promote {output.counted(len(plan), 'value')}; nothing written")
        return
    what = "this value" if len(plan) == 1 else f"these {len(plan):,} values"
    confirm(ctx.settings, f"Write {what} into '{target}'?", yes=yes)
    count = promotion.apply_promotion(ctx, prepared)
    output.done(f"promoted {output.counted(count, 'value')} from '{source}' to '{target}'")
    for note in shadow_notes(target, prepared.shadowed):
        output.done(note)


def _print_plan(plan: list[Difference], *, reveal: bool, whole: bool) -> None:
    """The plan's table, cut when long (`long_plans`) unless ``whole``."""
    part = long_plans.shown(plan, whole=whole)
    print_differences(list(part), reveal=reveal, json_out=False, marks=PLAN_MARKS)
    long_plans.say_left_out(len(plan), len(part), (PLAN_MARKS[d.change] for d in plan))


def _warn_unresolved(
    prepared: promotion.Promotion, source: str, target: str, names: list[str]
) -> None:
    """Before the question: the promoted values that will not resolve in the target, as `set`
    warns of them, and the command that promotes what they refer to as well."""
    for unresolved in prepared.unresolved:
        output.done(f"warning: in '{target}', {unresolved.describe()}")
    if prepared.also:
        names_too = " ".join([*names, *prepared.also])
        them = "it" if len(prepared.also) == 1 else "them"
        output.done(
            f"hint: '{source}' sets {', '.join(prepared.also)}: to promote {them} too, run"
            f" envkeep promote --from {source} --to {target} {names_too}"
        )


@env_app.command("rotate-key")
def rotate_key(
    env: Annotated[str, typer.Argument(help="The environment.", autocompletion=complete_env)],
    project: OtherProjectOpt = None,
    delete_damaged: Annotated[
        list[str] | None,
        typer.Option(
            "--delete-damaged",
            metavar="ID",
            help="Delete this variable that does not verify, by the id a read named with its"
            " author (repeat for each): the new key cannot carry it.",
        ),
    ] = None,
) -> None:
    """Give an environment a new data key now (values re-encrypted, key re-shared).

    Example: envkeep env rotate-key prod --project billing
    """
    from envkeep.client import key_rotation

    version = key_rotation.rotate_key(
        make_context(writes=True),
        env,
        project=project,
        delete_damaged=frozenset(delete_damaged or ()),
    )
    output.done(f"'{env}' now uses key version {version}")
