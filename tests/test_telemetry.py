"""FastAPI's own OpenTelemetry: on for a signal whose provider is configured when the app is
built, off (and free per request) otherwise."""

from __future__ import annotations

from typing import TYPE_CHECKING

from fastapi.testclient import TestClient
from opentelemetry import trace

from envkeep.api.app import create_app
from envkeep.api.telemetry import telemetry_config

if TYPE_CHECKING:
    import pytest
    from sqlalchemy import Engine


def test_every_signal_is_off_when_nothing_is_configured(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("FASTAPI_OTEL_AUTO_CONFIGURE", raising=False)
    assert telemetry_config() == {"tracing": False, "metrics": False, "logs": False}


def test_a_configured_tracer_provider_keeps_tracing_on(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("FASTAPI_OTEL_AUTO_CONFIGURE", raising=False)
    monkeypatch.setattr(trace, "get_tracer_provider", trace.NoOpTracerProvider)
    assert telemetry_config() == {"tracing": True, "metrics": False, "logs": False}


def test_fastapi_auto_configure_keeps_fastapi_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FASTAPI_OTEL_AUTO_CONFIGURE", "true")
    assert telemetry_config() == {}


def test_the_server_app_asks_no_provider_per_request(
    database: str, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("FASTAPI_OTEL_AUTO_CONFIGURE", raising=False)
    app = create_app(database)
    asked: list[str] = []

    def provider() -> trace.TracerProvider:
        asked.append("tracer")
        return trace.ProxyTracerProvider()

    monkeypatch.setattr(trace, "get_tracer_provider", provider)
    with TestClient(app) as client:
        assert client.get("/healthz").status_code == 200
    assert asked == []
