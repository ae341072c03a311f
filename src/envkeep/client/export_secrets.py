"""Which exported values may be secret, by the project's schemas: what a Kubernetes ConfigMap
leaves out, and what ``--format github`` masks in a job's log (`core/secret_split`, the one
decision for both).

The schemas are every service's (its ``.env.example``, its envkeep.toml table, the templates
it uses): a shared value reaches every service, and one service's word that a name is secret
is enough, whichever scope is exported. They are in the project's checkout. Without one
nothing says which values are plain: a ConfigMap is refused rather than guessed, and every
value is masked, as GitHub masks a secret it is given.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from envkeep.client.resolution import CHECKOUT_ADVICE, service_schema
from envkeep.core.errors import InputError, UsageError
from envkeep.core.projectfile import FILENAME
from envkeep.core.secret_split import SchemaNames, SecretSplit, split_secrets

if TYPE_CHECKING:
    from envkeep.client.context import ClientContext
    from envkeep.core.resolve import Resolution

__all__ = [
    "refuse_configmap_without_checkout",
    "schema_names",
    "split_for_configmap",
    "values_to_mask",
]


def refuse_configmap_without_checkout(ctx: ClientContext) -> None:
    """Refuse a ConfigMap export where no envkeep.toml names the services' schemas, the only
    word on which values are plain. Called before the store is read (and perhaps unlocked)."""
    if not ctx.has_checkout:
        raise UsageError(
            f"a ConfigMap export needs the project's checkout: without {FILENAME} no schema"
            " says which values are @secret and must stay out of the ConfigMap",
            hint=f"run it in the checkout ({CHECKOUT_ADVICE}), or export a Secret with"
            " --format k8s",
        )


def split_for_configmap(ctx: ClientContext, resolution: Resolution) -> SecretSplit:
    """``resolution``'s values split into those a ConfigMap may hold (``plain``) and those it
    leaves out, each with its reason; the checkout is required."""
    refuse_configmap_without_checkout(ctx)
    return split_secrets(resolution, schema_names(ctx))


def values_to_mask(ctx: ClientContext, resolution: Resolution) -> list[str]:
    """The values that may be secret, by name: every value without a checkout, or when a
    schema cannot be read (said on ``ctx.notify``; the export itself goes on)."""
    values = resolution.values
    if not ctx.has_checkout:
        return [values[name] for name in sorted(values)]
    try:
        names = schema_names(ctx)
    except InputError as error:
        ctx.warn_once(f"note: every value is masked, as a schema cannot be read: {error}")
        return [values[name] for name in sorted(values)]
    return list(split_secrets(resolution, names).held.values())


def schema_names(ctx: ClientContext) -> SchemaNames:
    """The names the project's schemas declare, and those any of them marks ``@secret``."""
    marked: set[str] = set()
    declared: set[str] = set()
    for entry in ctx.project_file.services:
        schema = service_schema(ctx, entry.name)
        for spec in () if schema is None else schema.fields:
            declared.add(spec.name)
            if spec.secret:
                marked.add(spec.name)
    return SchemaNames(declared=frozenset(declared), marked=frozenset(marked))
