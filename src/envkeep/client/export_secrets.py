"""Which resolved values go into a Kubernetes ConfigMap: none that a schema marks ``@secret``.

A ConfigMap is not encrypted at rest, and whoever may read ConfigMaps in its namespace reads
every value in it; a Secret is where secrets go (``--format k8s``). A name is secret here when
any service's schema (its ``.env.example``, its envkeep.toml table or a template it uses)
marks it ``@secret``: a shared value reaches every service, and one service's word that it is
a secret is enough, whichever service (or the shared scope) is exported. A value built from a
secret by a reference (``DSN=postgres://app:${DB_PASSWORD}@db/shop``) holds it too. Such values
are left out, and the caller says which. The schemas are in the project's checkout: without
one nothing says which values are secret, and the export is refused rather than guessed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from envkeep.client.resolution import CHECKOUT_ADVICE, service_schema
from envkeep.core.errors import UsageError
from envkeep.core.projectfile import FILENAME
from envkeep.core.schemarender import looks_secret

if TYPE_CHECKING:
    from collections.abc import Mapping

    from envkeep.client.context import ClientContext
    from envkeep.core.resolve import Resolution

__all__ = ["ConfigMapSplit", "refuse_configmap_without_checkout", "split_for_configmap"]


@dataclass(frozen=True)
class ConfigMapSplit:
    """The values a ConfigMap carries, and the names that were kept out of it or that
    perhaps should have been."""

    values: Mapping[str, str] = field(repr=False)
    # Left out: a schema marks them @secret (they belong in the Secret).
    secret: tuple[str, ...] = ()
    # Left out too: not marked, but a reference puts a secret's value in theirs.
    holding: tuple[str, ...] = ()
    # In the ConfigMap, though their names look secret (`looks_secret`) and no schema
    # declares them: a schema that marks them @secret would keep them out.
    unmarked: tuple[str, ...] = ()


def refuse_configmap_without_checkout(ctx: ClientContext) -> None:
    """Refuse a ConfigMap export where no envkeep.toml names the services' schemas, the only
    word on which values are secret. Called before the store is read (and perhaps unlocked)."""
    if not ctx.has_checkout:
        raise UsageError(
            f"a ConfigMap export needs the project's checkout: without {FILENAME} no schema"
            " says which values are @secret and must stay out of the ConfigMap",
            hint=f"run it in the checkout ({CHECKOUT_ADVICE}), or export a Secret with"
            " --format k8s",
        )


def split_for_configmap(ctx: ClientContext, resolution: Resolution) -> ConfigMapSplit:
    """The resolved values without those any service's schema marks ``@secret`` or that a
    reference fills with one, names sorted."""
    refuse_configmap_without_checkout(ctx)
    secret, declared = _schema_names(ctx)
    values = resolution.values
    marked = sorted(secret.intersection(values))
    holding = sorted(
        name
        for name in values
        if name not in secret and _refers_to(resolution.references[name], secret)
    )
    out = {*marked, *holding}
    kept = {name: value for name, value in sorted(values.items()) if name not in out}
    return ConfigMapSplit(
        values=kept,
        secret=tuple(marked),
        holding=tuple(holding),
        unmarked=tuple(name for name in kept if name not in declared and looks_secret(name)),
    )


def _schema_names(ctx: ClientContext) -> tuple[set[str], set[str]]:
    """The names the project's schemas mark ``@secret``, and all the names they declare."""
    secret: set[str] = set()
    declared: set[str] = set()
    for entry in ctx.project_file.services:
        schema = service_schema(ctx, entry.name)
        for spec in () if schema is None else schema.fields:
            declared.add(spec.name)
            if spec.secret:
                secret.add(spec.name)
    return secret, declared


def _refers_to(references: tuple[str, ...], secret: set[str]) -> bool:
    # A reference across services reads ``service.NAME``: NAME is what a schema marks. A
    # dotted name of the same set is taken apart as well, which can only leave more out.
    return any(ref in secret or ref.partition(".")[2] in secret for ref in references)
