"""What an operator's dashboard needs beside the request metrics: the process's own (memory,
CPU, open files: prometheus_client's process collector, read at each scrape) and which build
answers (``envkeep_build_info``, 1, labelled with the version and the schema revision it
needs), so that a memory climb or a mixed fleet during an upgrade shows on the same page."""

from __future__ import annotations

from typing import TYPE_CHECKING

from prometheus_client import Gauge, PlatformCollector, ProcessCollector

from envkeep import __version__
from envkeep.store.schema_version import HEAD_REVISION

if TYPE_CHECKING:
    from prometheus_client import CollectorRegistry


def process_and_build(registry: CollectorRegistry) -> None:
    """Register the process collector, the Python platform's and the build's info."""
    ProcessCollector(registry=registry)
    PlatformCollector(registry=registry)
    build = Gauge(
        "envkeep_build_info",
        "The envkeep build that answers (always 1)",
        ["version", "schema"],
        registry=registry,
    )
    build.labels(version=__version__, schema=HEAD_REVISION).set(1)
