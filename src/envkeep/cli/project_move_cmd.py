"""`envkeep project move-to URL`: the checkout's project from this machine's embedded store to a
team server (`client.project_move`)."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Annotated, Any

import typer

from envkeep.cli import output
from envkeep.cli.options import JsonOpt
from envkeep.cli.state import make_context
from envkeep.cli.unsealed import warn_unsealed
from envkeep.settings import load_settings

if TYPE_CHECKING:
    from envkeep.client.new_keys import Unsealed
    from envkeep.client.project_move import MoveOutcome
    from envkeep.client.project_move_plan import MovePlan


def move_to(
    url: Annotated[
        str,
        typer.Argument(help="The team server you are logged in to, e.g. https://keep.example.com."),
    ],
    dry_run: Annotated[
        bool,
        typer.Option(
            "--dry-run", help="Show the plan (names counted per environment and scope, no values)."
        ),
    ] = False,
    json_out: JsonOpt = False,
) -> None:
    """Move this checkout's project from this machine's embedded store to a team server: create
    it there as init does (environments, services), write each environment's values as stored
    (references unexpanded; a value stored with --no-validate too) in one batch, then add
    server = and workspace = to envkeep.toml. Run again after a failure: it carries on. History
    and .envkeep/local.env stay behind; the embedded store keeps its copy.

    Example: envkeep project move-to https://keep.example.com --dry-run
    """
    from envkeep.client.project_move import move_project
    from envkeep.client.project_move_plan import plan_move
    from envkeep.client.server_urls import normalise_url

    url = normalise_url(url)  # refused here, as the argument: not as ENVKEEP_SERVER
    settings = load_settings()  # ENVKEEP_SERVER names neither store: the URL and this machine do
    local = make_context(replace(settings, server=None))
    server = make_context(replace(settings, server=url), writes=True)
    plan = plan_move(local, server)
    if dry_run:
        _show_plan(plan, json_out)
        return
    if plan.exists:  # a re-run: what it finds, and what it does about it
        output.done(f"project '{plan.project}' exists on {plan.url}: {_what(plan)}")
    with output.progress_bar(sum(e.to_write for e in plan.environments), "encrypting") as step:
        moved = move_project(local, server, plan, step)
    _say_moved(plan, moved, json_out)


def _rows(plan: MovePlan) -> list[dict[str, Any]]:
    return [
        {
            "name": env.name,
            "scopes": env.counts(),
            "on_server": env.held,
            "to_write": env.to_write,
        }
        for env in plan.environments
    ]


def _show_plan(plan: MovePlan, json_out: bool) -> None:
    if json_out:
        output.print_json(_json(plan, None))
        return
    rows = [
        (env.name, scope, str(count))
        for env in plan.environments
        for scope, count in env.counts().items()
    ]
    output.print_table(("ENVIRONMENT", "SCOPE", "NAMES"), rows, empty="no environments")
    output.done(f"dry run: {_what(plan)}; nothing changed")


def _what(plan: MovePlan) -> str:
    """What the move does, in a line."""
    count = sum(env.to_write for env in plan.environments)
    envs = ", ".join(env.name for env in plan.environments)
    if not plan.exists:
        services = ", ".join(s.name for s in plan.services) or "none"
        made = (
            f"create project '{plan.project}' on {plan.url} (environments {envs};"
            f" services {services})"
        )
    elif plan.resumed:
        held = sum(env.held for env in plan.environments)
        made = (
            f"carry on an earlier move of '{plan.project}' to {plan.url} ({held} values"
            " there already)"
        )
    else:
        made = f"fill project '{plan.project}', empty on {plan.url}"
    return f"{made}, write {count} values, then add server = to envkeep.toml"


def _json(plan: MovePlan, moved: MoveOutcome | None) -> dict[str, Any]:
    return {
        "project": plan.project,
        "server": plan.url,
        "workspace": None if moved is None else moved.workspace,
        "dry_run": moved is None,
        "created": not plan.exists,
        "services": [s.name for s in plan.services],
        "environments": _rows(plan),
    }


def _say_moved(plan: MovePlan, moved: MoveOutcome, json_out: bool) -> None:
    by_env: dict[str, list[Unsealed]] = {}
    for one in moved.unsealed:
        by_env.setdefault(one.environment, []).append(one.left)
    for env, left in by_env.items():
        warn_unsealed([env], left)
    if json_out:
        output.print_json(_json(plan, moved))
    written = ", ".join(f"{name} {count}" for name, count in moved.written.items())
    output.done(
        f"moved project '{plan.project}' to {plan.url} (values written: {written}); envkeep.toml"
        f" now names that server and workspace {moved.workspace}: commit it. This machine's"
        " embedded store keeps its copy, and the history, which did not move"
    )
    output.done(
        "teammates: envkeep member invite EMAIL --role ROLE --project"
        f" {plan.project}; they join with the code, then: envkeep member seal EMAIL"
    )
