"""How one server process spends its connections to PostgreSQL (`pool_size`).

``pool_size`` is the most connections a process opens, all pools together, so that an
operator sizes ``max_connections`` as processes times pool_size (plus PostgreSQL's reserved
ones). With `rate_store = database` a fifth of them (at least one) go to the shared rate
limits' pool, whose takes are one short statement each; the rest to the requests' pool. Of the
requests' pool, a fifth (at least one, but for a pool of one) is kept out of the transaction
slots, for `/readyz` and a connection being replaced; the rest are the slots
(``api.transaction_slots``). The default, 15, gives the 12 slots a process always had.
Each pool keeps at most ``KEPT`` connections open while idle.
"""

from __future__ import annotations

from dataclasses import dataclass

POOL_SIZE = 15
MIN_POOL_SIZE = 2  # a request's connection and the rate limits' (or /readyz's)
MAX_POOL_SIZE = 1000
KEPT = 5  # connections a pool keeps open while idle (SQLAlchemy's default)


def is_pool_size(size: int) -> bool:
    """Whether ``size`` is a pool size the server takes."""
    return MIN_POOL_SIZE <= size <= MAX_POOL_SIZE


@dataclass(frozen=True)
class PoolPlan:
    """A process's connections: the requests' pool, the shared rate limits' (0: none), and
    how many transactions run at once."""

    requests: int
    rate_limits: int
    transactions: int


def pool_plan(size: int, *, shared_rates: bool) -> PoolPlan:
    """How ``size`` connections are spent, with or without the shared rate limits' pool."""
    rate_limits = max(1, size // 5) if shared_rates else 0
    requests = size - rate_limits
    transactions = max(1, requests - max(1, requests // 5))
    return PoolPlan(requests, rate_limits, transactions)


def pool_arguments(most: int) -> dict[str, int]:
    """SQLAlchemy's QueuePool arguments for a pool of at most ``most`` connections."""
    kept = min(KEPT, most)
    return {"pool_size": kept, "max_overflow": most - kept}
