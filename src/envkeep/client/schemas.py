"""Client use cases for schemas and templates: show, init, list, create (apply and detach:
`template_services`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from envkeep.app.reads import SHARED_SCOPE
from envkeep.client.reading import read_environment
from envkeep.client.resolution import load_project_templates, service_schema, template_directories
from envkeep.core.errors import AlreadyExistsError, UsageError
from envkeep.core.files import refuse_existing, write_atomic
from envkeep.core.projectfile_edits import with_service_setting

if TYPE_CHECKING:
    from pathlib import Path

    from envkeep.client.context import ClientContext
    from envkeep.client.opened_secrets import Variable
    from envkeep.core.projectfile import ProjectFile
    from envkeep.core.schema import FieldSpec, Schema
    from envkeep.core.templates import Template


def _known_service(ctx: ClientContext, service: str) -> None:
    if ctx.project_file.service(service) is None:
        from envkeep.client.service_entries import not_in_project_file

        raise not_in_project_file(service, [s.name for s in ctx.project_file.services])


def refuse_schema_import(ctx: ClientContext, file: Path) -> None:
    """Stop `import` of a service's schema file (or any ``*.example``): its values are
    placeholders and defaults, and imported they would stand in for real settings."""
    project = ctx.project_file
    declared = {(project.root / s.schema).resolve(): s.name for s in project.services if s.schema}
    owner = declared.get(file.resolve())
    if owner is None and not file.name.endswith(".example"):
        return
    whose = f"service {owner}'s schema" if owner else "a schema (.example)"
    raise UsageError(
        f"{file} is {whose}: its values are placeholders and defaults, not settings;"
        " nothing was imported",
        hint="import the file that holds the real values (copy this one under another name"
        " to import it as it is)",
    )


def show_schema(ctx: ClientContext, service: str) -> Schema:
    """What envkeep understood of a service's schema (templates, .env.example, table)."""
    from envkeep.client.schema_notes import warn_of_notes
    from envkeep.core.schema import Schema

    _known_service(ctx, service)
    schema = service_schema(ctx, service) or Schema(())
    warn_of_notes(ctx, schema)
    return schema


def init_schema(
    ctx: ClientContext, service: str, env: str, *, output: Path | None = None, force: bool = False
) -> Path:
    """Write a .env.example from what is stored for the service (`schema_text`) to ``output``,
    by default the service's own .env.example; record it as the service's schema in
    envkeep.toml when it has none."""
    _known_service(ctx, service)
    project = ctx.project_file
    entry = project.service(service)
    assert entry is not None
    target = output or project.root / (entry.path or ".") / ".env.example"
    refuse_existing(target, force=force)  # before the store is read (and perhaps unlocked)
    write_atomic(target, schema_text(ctx, service, env).encode(), mode=0o644)
    inside = target.resolve().is_relative_to(project.root.resolve())
    if entry.schema is None and entry.schema_table is None and inside:
        relative = target.resolve().relative_to(project.root.resolve()).as_posix()
        _set_service_setting(project, service, "schema", relative)
    return target


# The description of a generated field the service inherits from the shared scope.
INHERITED = "Inherited from the project's shared scope."


def schema_text(ctx: ClientContext, service: str, env: str) -> str:
    """A .env.example for what is stored for the service: names, inferred types and
    ``@secret`` where the name says so, ``@required`` where the service's own value is not
    empty (so the values it was written from pass it), no values. A name the service
    inherits from the shared scope keeps its type but is not required (the shared scope
    provides it, and a requirement there would stop its removal from the shared scope), and
    its description says where it comes from."""
    from envkeep.core.schema import Schema, render_env_example

    _known_service(ctx, service)
    opened = read_environment(ctx, env, [service])
    # One field a name: the service's own value where the shared scope has the name too, as
    # the service sees it (shared come first, then the service's scope).
    seen = {v.name: v for v in opened.variables()}
    return render_env_example(Schema(tuple(_generated_field(v) for v in seen.values())))


def _generated_field(variable: Variable) -> FieldSpec:
    from envkeep.core.schema import FieldSpec, infer_type
    from envkeep.core.schemarender import looks_secret

    inherited = variable.scope_key == SHARED_SCOPE
    return FieldSpec(
        name=variable.name,
        type=infer_type(variable.value),
        required=variable.value != "" and not inherited,
        secret=looks_secret(variable.name),
        description=INHERITED if inherited else None,
    )


def list_templates(ctx: ClientContext) -> list[Template]:
    """Every template the project can use (project directory first, then the user's); the
    user's alone outside a checkout."""
    return sorted(_templates(ctx).values(), key=lambda t: t.name)


def get_template(ctx: ClientContext, name: str) -> Template:
    """One template by name; an error listing those that exist."""
    templates = _templates(ctx)
    if name not in templates:
        from envkeep.app.not_found import template_not_found

        raise template_not_found(name, list(templates))
    return templates[name]


def _templates(ctx: ClientContext) -> dict[str, Template]:
    if ctx.has_checkout:
        return load_project_templates(ctx)
    from envkeep.core.templates import load_templates

    return load_templates([_user_templates(ctx)])


def _user_templates(ctx: ClientContext) -> Path:
    return ctx.settings.home / "templates"


def create_template(
    ctx: ClientContext, name: str, source: Path | None, *, user: bool = False
) -> Path:
    """Write a template file (checked by parsing it) into the project's or the user's dir."""
    import re

    from envkeep.core.templates import TEMPLATE_NAME, parse_template

    if not re.fullmatch(TEMPLATE_NAME, name):
        raise UsageError(
            f"'{name}' is not a valid template name", hint="use lowercase letters, digits, '-', '_'"
        )
    directory = _user_templates(ctx) if user else template_directories(ctx)[0]
    target = directory / f"{name}.env"
    if target.exists():
        raise AlreadyExistsError(f"template {target} exists", hint="edit that file instead")
    text = STARTER if source is None else source.read_text(encoding="utf-8")
    parse_template(text, name=name, source=str(source or target))
    write_atomic(target, text.encode(), mode=0o644)
    return target


# A new template's text: an example to edit. The header stands apart (a blank line after it),
# since comment lines directly above a name are that name's description.
STARTER = """# A template: defaults (they may use ${REFERENCES}) and annotations, inherited by the
# services that use it: envkeep template apply NAME --service SERVICE. The comment lines
# directly above a name describe it; a blank line ends them.

# The host to connect to.
# @required
HOST=localhost

# The port on that host.
# @type=port
PORT=8080

# Where to connect, made of the two above.
URL=tcp://${HOST}:${PORT}
"""


def _set_service_setting(
    project: ProjectFile, service: str, key: str, value: str | list[str]
) -> None:
    """Set one key of a service's table in envkeep.toml, editing its text in place."""
    text = with_service_setting(project.path.read_text(encoding="utf-8"), service, key, value)
    write_atomic(project.path, text.encode(), mode=0o644)
