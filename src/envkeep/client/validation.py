"""Checking what services would see against their schemas, before anything runs on it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from envkeep.client.personal_overrides import LOCAL_OVERRIDES
from envkeep.client.reading import read_environment
from envkeep.client.reference_errors import worded_errors
from envkeep.client.resolution import (
    CHECKOUT_ADVICE,
    arrange,
    resolve_each,
    resolve_in,
    service_layer,
    service_schema,
)
from envkeep.client.service_scopes import read_service_layers
from envkeep.client.stray_references import fallback_only, stray_references
from envkeep.client.unresolved_hint import UNRESOLVED, unresolved_hint
from envkeep.core.errors import InputError, UsageError, ValidationFailed
from envkeep.core.projectfile import FILENAME
from envkeep.core.wording import counted

if TYPE_CHECKING:
    from collections.abc import Collection, Mapping, Sequence

    from envkeep.client.context import ClientContext
    from envkeep.client.resolution import ProjectLayers
    from envkeep.core.resolve import Resolution
    from envkeep.core.schema import Schema
    from envkeep.core.validate import Finding


@dataclass(frozen=True)
class Checked:
    """A service's resolution, what validating it found, and the schema it was checked
    against (None: it has none)."""

    service: str | None
    resolution: Resolution
    findings: tuple[Finding, ...]
    schema: Schema | None = None
    # The names .envkeep/local.env sets that are behind an error (a personal override, or a
    # value referred to): `personal_hint` says what to do about them.
    personal: tuple[str, ...] = ()
    # The resolution's errors, with "did you mean" (`reference_errors.worded`), by name.
    reference_errors: Mapping[str, str] = field(default_factory=dict)

    @property
    def errors(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.severity == "error")

    def raise_unresolved(self, name: str | None = None) -> None:
        """Raise ReferenceProblem when ``name``'s value (None: any, the first in the values'
        order) does not resolve, in `validate`'s words."""
        from envkeep.client.reference_errors import reference_problem

        for each in self.resolution.values if name is None else (name,):
            if each in self.reference_errors:
                raise reference_problem(self.reference_errors[each])

    def layer_of(self, finding: Finding) -> str | None:
        """The layer the finding's value came from, as `explain` names it (``shared``,
        ``service:api``, ``template:postgres``, ``schema default``, ``local``); None when
        no layer sets it."""
        return self.resolution.winners.get(finding.name)


def check_resolution(
    ctx: ClientContext, layers: ProjectLayers, service: str | None, resolution: Resolution
) -> Checked:
    """Validate one resolution: reference problems always; the schema when there is one.

    Names the service did not set itself (shared, templates) are not "unknown" to its schema.
    """
    from envkeep.core.schema import Schema
    from envkeep.core.validate import validate_values

    schema = None if service is None else service_schema(ctx, service, layers)
    own: Collection[str] = ()  # without a schema, no name is unknown
    if schema is not None and service is not None:  # a schema is only looked up for a service
        own = _own_names(resolution, service_layer(service))
    unresolved, strays = _stray_findings(layers, resolution)
    findings = validate_values(
        resolution.values,
        schema if schema is not None else Schema(()),
        service=service,
        unresolved=unresolved,
        own=own,
        strays=strays,
    )
    personal: tuple[str, ...] = ()
    if findings and layers.local:  # only then can a finding be about a personal override
        from envkeep.client.personal_findings import label_personal

        findings, personal = label_personal(findings, resolution, layers.by_service)
    return Checked(service, resolution, tuple(findings), schema, personal, unresolved)


def _own_names(resolution: Resolution, own_layer: str) -> Collection[str]:
    """The names a service set itself: its own layer's, and a personal override's
    (``.envkeep/local.env``) of a name it would not see otherwise; an override of a name it
    inherits (shared, a template) is no more its own than the name was."""
    mine = resolution.set_by({own_layer})
    local = resolution.set_by({"local"})
    if not local:
        return mine
    inherited = resolution.set_by(
        {layer.name for layer in resolution.layers if layer.name not in {own_layer, "local"}}
    )
    return set(mine).union(name for name in local if name not in inherited)


def _stray_findings(
    layers: ProjectLayers, resolution: Resolution
) -> tuple[dict[str, str], dict[str, str]]:
    """The resolution's errors, "did you mean" added to those about a service that does not
    exist or a name that is not set (`reference_errors.worded`); and the values that resolve
    only because a fallback stands in for one (`stray_references`), with what to say of them."""
    services, seen = layers.by_service, resolution.values
    # Without a fallback, such a reference does not resolve (unless it is a dotted name that
    # is set): only values with one can hide it.
    strays = {
        name: fallback_only(found)
        for name, raw in resolution.raw.items()
        if ":-" in raw
        and name not in resolution.errors
        and (found := stray_references(raw, services, seen))
    }
    return worded_errors(layers, resolution), strays


def check_service(ctx: ClientContext, env: str, service: str | None) -> Checked:
    """Resolve and validate one service (or the shared scope), reading only the scopes it
    sees (`service_scopes`)."""
    layers = read_service_layers(ctx, env, [service])
    return check_resolution(ctx, layers, service, resolve_in(layers, service))


@dataclass(frozen=True)
class ProjectCheck:
    """What validating several services found: those checked, and those whose schemas could
    not be read here (``unread``), which were not checked at all."""

    checked: list[Checked]
    unread: tuple[str, ...] = ()
    # Services whose schema (or a template) cannot be read, with why: not checked either.
    broken: tuple[tuple[str, InputError], ...] = ()


def check_services(
    ctx: ClientContext, env: str, services: Sequence[str] | None = None
) -> ProjectCheck:
    """Resolve and validate several services (default: every service of the project).

    Without the project's checkout no service's schema can be read (envkeep.toml names them),
    and its templates are missing too: each service is then ``unread``, not passed with
    nothing to check it against, nor failed over references into templates that are not here.
    """
    if services is None:
        layers = arrange(ctx, read_environment(ctx, env))
    else:
        layers = read_service_layers(ctx, env, services)
    targets = sorted(layers.by_service) if services is None else list(services)
    if not ctx.has_checkout:
        _require_services(layers, targets)
        return ProjectCheck([], tuple(targets))
    broken = _unreadable(layers, targets)
    readable = [s for s in targets if s not in dict(broken)]
    try:
        resolved = resolve_each(layers, readable)
        checked = [check_resolution(ctx, layers, s, found) for s, found in resolved]
    except InputError:  # one refers into a broken schema: find which, one at a time
        checked = []
        for service in readable:
            try:
                found = resolve_in(layers, service)
            except InputError as error:
                broken.append((service, error))
                continue
            checked.append(check_resolution(ctx, layers, service, found))
    return ProjectCheck(checked, broken=tuple(broken))


def _unreadable(layers: ProjectLayers, services: Sequence[str]) -> list[tuple[str, InputError]]:
    """The services of ``services`` whose schema or templates cannot be read, and why: the
    others are checked all the same (one broken .env.example stops no other service's check).
    Building a stack reads both (the schema for its defaults, which ``layers`` keeps), so a
    schema that does not parse is found without parsing it again here."""
    _require_services(layers, services)
    broken = []
    for service in services:
        try:
            layers.stack(service)
        except InputError as error:
            broken.append((service, error))
    return broken


def _require_services(layers: ProjectLayers, services: Sequence[str]) -> None:
    unknown = [s for s in services if s not in layers.by_service]
    if unknown:
        from envkeep.app.not_found import service_not_found

        raise service_not_found(unknown[0], layers.project.project, list(layers.by_service))


def unread_schemas(ctx: ClientContext, services: Sequence[str]) -> UsageError:
    """The error for services whose schemas are not here: a usage error (exit 2), as for any
    command that needs envkeep.toml where there is none; not ValidationFailed (exit 3), since
    nothing was found wrong: nothing could be checked."""
    return UsageError(
        f"{counted(len(services), 'service')} of project '{ctx.project_file.project}' not"
        f" validated ({', '.join(services)}): their schemas are in the project's checkout"
        f" ({FILENAME} and each service's schema file), and there is no {FILENAME} in"
        f" {ctx.cwd} or its parents",
        hint=f"run envkeep validate in the checkout ({CHECKOUT_ADVICE})",
    )


def refuse_on_errors(checked: Sequence[Checked], env: str) -> None:
    """Raise ValidationFailed (exit 3) naming the first problems, if any check failed."""
    errors = [f for c in checked for f in c.errors]
    if not errors:
        return
    failing = sorted({c.service for c in checked if c.errors and c.service is not None})
    which = f"--service {failing[0]}" if len(failing) == 1 else "--all"
    personal = personal_names(checked)
    fix = f"{personal_hint(personal)}; " if personal else ""
    see = f"see them all with: envkeep validate --env {env} {which}"
    if any(f.rule == UNRESOLVED for f in errors):  # --no-validate fails on those all the same
        hint = f"{fix}{unresolved_hint(checked, env)}; {see}"
    else:
        hint = f"{fix}{see}, or skip with --no-validate"
    raise ValidationFailed(f"{problems_in(errors)} in '{env}': {problems_shown(errors)}", hint=hint)


def problems_in(errors: Sequence[Finding]) -> str:
    """ "3 problems", the start of a validation refusal."""
    return f"{len(errors)} problem{'s' if len(errors) != 1 else ''}"


def problems_shown(errors: Sequence[Finding]) -> str:
    """The first three ``errors`` ("api.PORT: not an integer; …"), and how many more."""
    shown = "; ".join(
        f"{f.service + '.' if f.service else ''}{f.name}: {f.message}" for f in errors[:3]
    )
    return shown + (f" (and {len(errors) - 3} more)" if len(errors) > 3 else "")


def personal_names(checked: Sequence[Checked]) -> list[str]:
    """The names .envkeep/local.env sets that are behind the errors found, each once."""
    return list(dict.fromkeys(name for c in checked for name in c.personal))


def personal_hint(names: Sequence[str]) -> str:
    """What to do about errors that personal overrides ``names`` are behind (`personal_names`):
    correct them in local.env, or delete their lines there (the store's value, if any, then
    applies)."""
    if len(names) == 1:
        return (
            f"{names[0]} comes from {LOCAL_OVERRIDES}, your personal override: correct it"
            " there, or delete its line to drop the override"
        )
    return (
        f"{', '.join(names)} come from {LOCAL_OVERRIDES}, your personal overrides: correct"
        " them there, or delete their lines to drop the overrides"
    )


def examples_not_defaults(
    ctx: ClientContext, checked: Sequence[Checked]
) -> list[tuple[str, list[str]]]:
    """For each schema file behind a "required but not set" finding, the missing names it
    gives an example value (``NAME=example``): an example is not a default, which a reader of
    the file may well have taken it for. (schema source, names), in the order checked."""
    found: list[tuple[str, list[str]]] = []
    for check in checked:
        schema = check.schema
        missing = [f.name for f in check.findings if f.rule == "missing"]
        if check.service is None or schema is None or not missing:
            continue
        entry = ctx.project_file.service(check.service)
        if entry is None:
            continue
        names = [n for n in missing if (spec := schema.field(n)) is not None and spec.example]
        if names:
            source = entry.schema or f"{FILENAME} [services.{check.service}.schema]"
            found.append((source, names))
    return found
