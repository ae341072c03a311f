"""The database connections a process holds, read from its pools at each scrape: to size
PostgreSQL's ``max_connections`` (`pool_size`, ``store.pool_size``), and to see the pool run
full (every connection in use: requests queue for the transaction slots)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from prometheus_client.core import GaugeMetricFamily

if TYPE_CHECKING:
    from collections.abc import Iterator, Mapping

    from sqlalchemy import Engine


class PoolConnections:
    """``envkeep_database_connections_in_use`` and ``envkeep_database_connections_open``, by
    pool: ``requests``, and ``rate_limits`` with `rate_store = database`."""

    def __init__(self, pools: Mapping[str, Engine]) -> None:
        self._pools = dict(pools)

    def collect(self) -> Iterator[GaugeMetricFamily]:
        in_use = GaugeMetricFamily(
            "envkeep_database_connections_in_use",
            "Database connections a request (or a rate-limit check) holds now",
            labels=["pool"],
        )
        opened = GaugeMetricFamily(
            "envkeep_database_connections_open",
            "Database connections the process holds open, in use or idle",
            labels=["pool"],
        )
        for name, engine in self._pools.items():
            pool = engine.pool
            held = _count(pool, "checkedout")
            in_use.add_metric([name], held)
            opened.add_metric([name], held + _count(pool, "checkedin"))
        yield in_use
        yield opened


def _count(pool: object, name: str) -> int:
    """What a QueuePool counts (``checkedout``, ``checkedin``); 0 for pools that count none."""
    count = getattr(pool, name, None)
    return int(count()) if callable(count) else 0
