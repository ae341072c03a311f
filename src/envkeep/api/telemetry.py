"""Whether FastAPI's own OpenTelemetry instrumentation runs, decided once when the app is built.

FastAPI asks on every request whether a tracer, meter or logger provider is configured: three
look-ups in ``os.environ`` and in OpenTelemetry's globals, a few per cent of a snapshot read.
The server decides once instead. A signal stays on when its provider is configured as the app
is built (an SDK set up in code, ``opentelemetry-instrument``, the ``OTEL_PYTHON_*_PROVIDER``
variables), and everything stays as FastAPI has it when ``FASTAPI_OTEL_AUTO_CONFIGURE=true``
(FastAPI then sets providers up itself, at start-up). Otherwise it is off, and a request pays
nothing for it. Configure OpenTelemetry before the server starts, not while it runs.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from fastapi.telemetry import TelemetryConfig

__all__ = ["telemetry_config"]

# OpenTelemetry's stand-ins for a provider nobody has configured yet.
_PLACEHOLDERS = frozenset(
    {
        ("opentelemetry.trace", "ProxyTracerProvider"),
        ("opentelemetry.metrics._internal", "_ProxyMeterProvider"),
        ("opentelemetry._logs._internal", "ProxyLoggerProvider"),
    }
)


def _configured(provider: object) -> bool:
    kind = type(provider)
    return (kind.__module__, kind.__name__) not in _PLACEHOLDERS


def telemetry_config() -> TelemetryConfig:
    """The ``telemetry`` argument of ``FastAPI``: each signal on only if it is configured now."""
    if os.environ.get("FASTAPI_OTEL_AUTO_CONFIGURE", "").lower() == "true":
        return {}
    from opentelemetry import _logs, metrics, trace

    return {
        "tracing": _configured(trace.get_tracer_provider()),
        "metrics": _configured(metrics.get_meter_provider()),
        "logs": _configured(_logs.get_logger_provider()),
    }
