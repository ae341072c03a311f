"""What a service sees in an environment: template defaults, the shared scope, the service's
scope and personal overrides, with references expanded (DESIGN §2), plus its schema.

Everything here runs on decrypted values, client-side; the same code serves the embedded store
and the team server.
"""

from __future__ import annotations

from collections.abc import Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from envkeep.app.reads import SHARED_SCOPE
from envkeep.client.personal_overrides import LOCAL_OVERRIDES, overrides_for
from envkeep.core.projectfile import FILENAME
from envkeep.core.wording import counted

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Iterator, Sequence
    from pathlib import Path

    from envkeep.client.context import ClientContext
    from envkeep.client.vault import OpenEnvironment
    from envkeep.core.projectfile import ProjectFile
    from envkeep.core.resolve import Layer, Resolution
    from envkeep.core.schema import Schema
    from envkeep.core.templates import Template

TEMPLATES_DIR = ".envkeep/templates"


def personal_note(names: Iterable[str], *, env: str | None = None) -> str | None:
    """The note naming the values ``.envkeep/local.env`` gives (``env``: the environment, where
    the note is about one); None for none."""
    shown = sorted(names)
    if not shown:
        return None
    gets = f"{env} gets " if env is not None else ""
    return (
        f"note: {gets}{counted(len(shown), 'value')} from {LOCAL_OVERRIDES}, your personal"
        f" overrides: {', '.join(shown)}"
    )


# What to do about a command run where the project's checkout is not (a CI job, a container).
CHECKOUT_ADVICE = "in CI, check the repository out first, e.g. with actions/checkout"


def notify_without_checkout(ctx: ClientContext, *, validate: bool) -> None:
    """Say (``ctx.notify``: stderr, as stdout may be piped) that a service's values are the
    store's alone here: without the project's checkout there is no envkeep.toml naming its
    schema and templates, so no schema default or template value, and no validation
    (``validate`` False: skipped on purpose, not mentioned). Nothing in a checkout."""
    if ctx.has_checkout or ctx.notify is None:
        return
    missing = "schema defaults, templates and validation"
    if not validate:  # --no-validate
        missing = "schema defaults and templates"
    ctx.notify(
        f"note: no {FILENAME} in {ctx.cwd} or its parents, so {missing} were not applied:"
        f" they are in the project's checkout; run envkeep there to apply them"
        f" ({CHECKOUT_ADVICE})"
    )


@contextmanager
def noting_without_checkout(
    ctx: ClientContext, service: str | None, *, validate: bool
) -> Iterator[None]:
    """Around a read of ``service``'s values (None: the shared scope, which no schema or
    template serves: no note): `notify_without_checkout` once they were read, or before an
    error the missing checkout may explain (a reference into a template it holds). None
    before an unknown project or environment, a refusal, or no project at all: the note
    would only bury the error, about values the command never got to."""
    from envkeep.core.errors import InputError, ValidationFailed

    try:
        yield
    except (InputError, ValidationFailed):
        if service is not None:
            notify_without_checkout(ctx, validate=validate)
        raise
    if service is not None:
        notify_without_checkout(ctx, validate=validate)


def template_directories(ctx: ClientContext) -> list[Path]:
    """Where templates are looked up: the project's first, then the user's."""
    return [ctx.project_file.root / TEMPLATES_DIR, ctx.settings.home / "templates"]


def load_project_templates(ctx: ClientContext) -> dict[str, Template]:
    """Every template the project can use, by name."""
    from envkeep.core.templates import load_templates

    return load_templates(template_directories(ctx))


def where_flags(
    ctx: ClientContext, env: str, service: str | None, *, anywhere: bool = False
) -> str:
    """The flags that name an environment and a scope (None: shared) again, for a hint's
    command. The shared scope is ``--service -`` in a service's directory: leaving --service
    out there names that service (the directory chose it), and the hint followed would act on
    it instead. ``anywhere``: ``--service -`` wherever this runs, for a command the user may
    run later from another directory (a kept edit buffer's), or one that deletes."""
    if service is not None:
        return f"--env {env} --service {service}"
    shared = anywhere or ctx.directory_service is not None
    return f"--env {env}" + (" --service -" if shared else "")


def service_layer(service: str) -> str:
    """The name of a service's own layer in its resolution stack (``Resolution.winners``)."""
    return f"service:{service}"


@dataclass(frozen=True)
class ProjectLayers:
    """An opened environment arranged as layer stacks, one per service."""

    shared: dict[str, str]
    by_service: dict[str, dict[str, str]]
    templates: dict[str, Template]
    local: dict[str, str]
    project: ProjectFile
    # A service's schema @default values, read the first time its stack is needed: a command
    # for one service reads no other service's schema (a broken one stops only the commands
    # that need it: its own, a reference into it, `validate --all`).
    defaults_of: Callable[[str], dict[str, str]] = lambda _service: {}
    _defaults: dict[str, dict[str, str]] = field(default_factory=dict, repr=False)

    def defaults(self, service: str) -> dict[str, str]:
        """The schema @default values of ``service``."""
        if service not in self._defaults:
            self._defaults[service] = self.defaults_of(service)
        return self._defaults[service]

    def stack(self, service: str | None) -> list[Layer]:
        """The layers of one service (None: the shared scope alone), lowest first."""
        from envkeep.core.resolve import Layer

        layers: list[Layer] = []
        if service is not None and (defaults := self.defaults(service)):
            layers.append(Layer("schema default", defaults))
        if service is not None:
            layers += [
                Layer(f"template:{name}", self.template(name, service).values)
                for name in self._template_names(service)
            ]
        layers.append(Layer("shared", self.shared))
        return layers + self.above_shared(service)

    def above_shared(self, service: str | None) -> list[Layer]:
        """The layers of one service (None: the shared scope alone) that win over the shared
        scope, lowest first: its own scope, then personal overrides (none in `team_layers`)."""
        from envkeep.core.resolve import Layer

        layers: list[Layer] = []
        if service is not None:
            layers.append(Layer(service_layer(service), self.by_service.get(service, {})))
        if self.local:
            layers.append(Layer("local", self.local))
        return layers

    def _template_names(self, service: str) -> tuple[str, ...]:
        entry = self.project.service(service)
        return () if entry is None else entry.templates

    def template(self, name: str, service: str) -> Template:
        """A template a service uses; an error naming it when it does not exist."""
        return _template(self.templates, name, service)

    def with_changes(self, service: str | None, changes: Mapping[str, str | None]) -> ProjectLayers:
        """These layers after ``changes`` to one scope (None: the shared scope), a None value
        unsetting its name: what a write would leave, for checking it before it is made."""
        values = dict(self.shared if service is None else self.by_service.get(service, {}))
        for name, value in changes.items():
            if value is None:
                values.pop(name, None)
            else:
                values[name] = value
        if service is None:
            return replace(self, shared=values)
        return replace(self, by_service={**self.by_service, service: values})

    def without_service(self, service: str) -> ProjectLayers:
        """These layers without ``service`` (what removing it would leave)."""
        kept = {name: values for name, values in self.by_service.items() if name != service}
        return replace(self, by_service=kept)

    def merged(self, service: str) -> Mapping[str, str] | None:
        """A service's merged, unexpanded values (for ``${service.NAME}``)."""
        if service not in self.by_service:
            return None
        from envkeep.core.resolve import merge_layers

        return merge_layers([layer.values for layer in self.stack(service)])


def arrange(
    ctx: ClientContext, opened: OpenEnvironment, *, with_local: bool = True
) -> ProjectLayers:
    """Split an environment read with every scope into layers; ``with_local`` False: as the
    whole team sees them, without reading this machine's personal overrides at all. The one
    place they are layered in: a protected environment never gets them (`overrides_for`)."""
    grouped = opened.values_by_scope()
    by_service = {s.name: grouped.get(s.name, {}) for s in opened.snapshot.services}
    shared = grouped.get(SHARED_SCOPE, {})
    needs_templates = any(s.templates for s in ctx.project_file.services)
    return ProjectLayers(
        shared=shared,
        by_service=by_service,
        templates=load_project_templates(ctx) if needs_templates else {},
        local=overrides_for(ctx, opened.snapshot.environment) if with_local else {},
        project=ctx.project_file,
        defaults_of=lambda name: schema_defaults(ctx.project_file, name),
    )


def team_layers(ctx: ClientContext, opened: OpenEnvironment) -> ProjectLayers | None:
    """``arrange`` as the whole team sees it, for the checks and warnings of a write (this
    machine's personal overrides never read); None when a template is broken: the commands
    that use templates say what is wrong."""
    from envkeep.core.errors import InputError

    try:
        return arrange(ctx, opened, with_local=False)
    except InputError:
        return None


def schema_defaults(project: ProjectFile, service: str) -> dict[str, str]:
    """The ``@default`` values of a service's own schema (.env.example or table) as
    ``project`` declares it: the lowest layer of what it sees. Template defaults are the
    templates' own layers."""
    schema = _own_schema(project, service)
    if schema is None:
        return {}
    return {f.name: f.default for f in schema.fields if f.default is not None}


def resolve_in(layers: ProjectLayers, service: str | None) -> Resolution:
    """Resolve one service (or the shared scope) against already-arranged layers."""
    from envkeep.core.resolve import resolve

    if service is not None and service not in layers.by_service:
        from envkeep.app.not_found import service_not_found

        raise service_not_found(service, layers.project.project, list(layers.by_service))
    return resolve(layers.stack(service), service=service, lookup=layers.merged)


def resolve_each(
    layers: ProjectLayers, services: Sequence[str]
) -> Iterator[tuple[str, Resolution]]:
    """Resolve several services together (each value expanded once), one ``(service,
    resolution)`` at a time, for a caller that checks each one as it comes."""
    from envkeep.core.resolve import resolve_each as resolve_stacks

    return resolve_stacks(_Stacks(layers), targets=list(services))


class _Stacks(Mapping[str, list["Layer"]]):
    """Every service's layer stack, each built when first read: resolving some services
    reads the schemas of those and of the services they refer to, not of every other one
    (a broken schema stops only what needs it, as ``ProjectLayers`` promises)."""

    def __init__(self, layers: ProjectLayers) -> None:
        self._layers = layers
        self._built: dict[str, list[Layer]] = {}

    def __getitem__(self, name: str) -> list[Layer]:
        if name not in self._layers.by_service:
            raise KeyError(name)
        if name not in self._built:
            self._built[name] = self._layers.stack(name)
        return self._built[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._layers.by_service)

    def __len__(self) -> int:
        return len(self._layers.by_service)


def service_schema(
    ctx: ClientContext, service: str, layers: ProjectLayers | None = None
) -> Schema | None:
    """A service's schema: its templates' annotations, then its .env.example or the
    [services.NAME.schema] table of envkeep.toml (later wins per name); None when it has none."""

    project = ctx.project_file
    entry = project.service(service)
    if entry is None:
        return None
    parts: list[Schema] = []
    if entry.templates:
        templates = layers.templates if layers is not None else load_project_templates(ctx)
        parts += [_template(templates, name, service).schema for name in entry.templates]
    own = _own_schema(project, service)
    if own is not None:
        parts.append(own)
    return _merge(parts)


def _own_schema(project: ProjectFile, service: str) -> Schema | None:
    from envkeep.core.schema import schema_from_table

    entry = project.service(service)
    if entry is None:
        return None
    parts: list[Schema] = []
    if entry.schema is not None:
        parts.append(parse_schema_file(project.root / entry.schema))
    if entry.schema_table is not None:
        parts.append(
            schema_from_table(
                entry.schema_table, source=f"{project.path} [services.{service}.schema]"
            )
        )
    return _merge(parts)


def _merge(parts: list[Schema]) -> Schema | None:
    if not parts:
        return None
    combined = parts[0]
    for part in parts[1:]:
        combined = combined.merged_with(part)
    return combined


def parse_schema_file(path: Path) -> Schema:
    """A service's .env.example, parsed: InputError for a file missing or not UTF-8,
    ParseError naming the line of a bad annotation."""
    from envkeep.core.schema import parse_env_example

    return parse_env_example(_read(path), source=str(path))


def _read(path: Path) -> str:
    from envkeep.core.errors import InputError

    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError(
            f"schema file {path} not found", hint="fix the service's schema path in envkeep.toml"
        ) from None
    except UnicodeDecodeError:
        raise InputError(f"{path} is not UTF-8 text", hint="save it as UTF-8") from None


def _template(templates: Mapping[str, Template], name: str, service: str) -> Template:
    from envkeep.core.errors import InputError

    found = templates.get(name)
    if found is None:
        raise InputError(
            f"service '{service}' uses template '{name}', which does not exist",
            hint=f"create it with: envkeep template create {name}, or fix envkeep.toml",
        )
    return found
