"""Reading what some services see: the shared scope, their own scopes and the scopes their
references name, not every scope of the environment.

A service's values can name another service's (``${svc.NAME}``, in its own scope, the shared
scope, a template or a personal override), and that one's can name a third: which scopes a
read needs is known only once what it read is resolved. So the read starts narrow (the shared
scope and the services' own), and while resolving them looks into a service not read yet, it
reads again with that one added. The last read's resolutions are the ones a read of every
scope makes: they looked into no scope that was not read. With 60 services of 150 variables,
`get --service svc05` opened (decrypted and verified) 9,200 secrets; now about 450, and a
damaged secret in a scope it does not use no longer stops it (it still stops a read that uses
that scope, and `validate --all`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from envkeep.client.reading import read_environment
from envkeep.client.resolution import arrange
from envkeep.core.errors import EnvkeepError, ServiceNotFound

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from envkeep.client.context import ClientContext
    from envkeep.client.resolution import ProjectLayers


def read_service_layers(
    ctx: ClientContext, env: str, services: Sequence[str | None]
) -> ProjectLayers:
    """The layers of ``services`` (None: the shared scope), every scope their resolutions
    look into read and verified, and no other. A service the environment does not have is
    left to the caller's resolution to refuse, as after a read of every scope."""
    wanted = sorted({s for s in services if s is not None})
    try:
        layers = arrange(ctx, read_environment(ctx, env, wanted))
    except ServiceNotFound:  # in the caller's words, which list the services it has
        return arrange(ctx, read_environment(ctx, env, []))
    while unread := sorted(looked_into(layers, services) - {*wanted}):
        wanted += unread
        layers = arrange(ctx, read_environment(ctx, env, wanted))
    return layers


def looked_into(layers: ProjectLayers, services: Sequence[str | None]) -> set[str]:
    """The services of the environment whose values resolving ``services`` reads, through
    their references and those of what they refer to; up to a failure (a broken schema or
    template), which the caller's resolution meets again once what it looked into is read."""
    from envkeep.core.resolve import resolve

    asked: set[str] = set()

    def lookup(name: str) -> Mapping[str, str] | None:
        asked.add(name)
        return layers.merged(name)

    for service in services:
        if service is not None and service not in layers.by_service:
            continue  # refused by the caller's resolution
        try:
            resolve(layers.stack(service), service=service, lookup=lookup)
        except EnvkeepError:
            continue  # met again by the caller's resolution, which reads only what was read
    return {name for name in asked if name in layers.by_service}
