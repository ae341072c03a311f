"""Reads counted, for the tests that a command reads once however much it is asked about: an
opened environment whose listings of its variables are counted (`lift`'s plan and suggestions),
the environments a client's backend reads (`promote`), and the requests any client sends (a
write that keeps its offline copy from its answer)."""

from __future__ import annotations

from types import SimpleNamespace
from typing import TYPE_CHECKING, Any

from envkeep.client.api_client import ApiClient
from envkeep.client.opened_secrets import Variable

if TYPE_CHECKING:
    import pytest

    from envkeep.client.context import ClientContext


class CountedRead:
    """An opened environment (``dev``) of ``services``: its variables, counting how often they
    are listed."""

    def __init__(self, variables: list[Variable], services: list[str] | None = None) -> None:
        self._variables = variables
        self.listed = 0
        self.snapshot = SimpleNamespace(
            environment=SimpleNamespace(name="dev"),
            services=[SimpleNamespace(name=s) for s in services or ()],
        )

    def variables(self) -> list[Variable]:
        self.listed += 1
        return self._variables

    def find(self, scope: str, name: str) -> Variable | None:
        return next((v for v in self._variables if (v.scope, v.name) == (scope, name)), None)


def variable(name: str, value: str, scope: str) -> Variable:
    """Version 1 of ``name`` in ``scope`` ("shared" or a service's name)."""
    key = scope if scope == "shared" else f"service:{scope}"
    return Variable(name, value, scope, key, f"{scope}-{name}", 1, "2026-12-07T00:00:00Z", "me")


def backend_reads(client: ClientContext, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The environments the client's backend reads from now on, in order."""
    read: list[str] = []
    real = client.backend.read_environment

    def counted(project: str, env: str, *args: Any, **kwargs: Any) -> Any:
        read.append(env)
        return real(project, env, *args, **kwargs)

    monkeypatch.setattr(client.backend, "read_environment", counted)
    return read


def requests_sent(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every request any client of this process sends from now on, as ``METHOD last-part``
    (``GET snapshot``, ``POST secrets``)."""
    sent: list[str] = []
    request = ApiClient.request

    def counted(api: ApiClient, method: str, path: str, **kwargs: Any) -> Any:
        sent.append(f"{method} {path.rsplit('/', 1)[-1]}")
        return request(api, method, path, **kwargs)

    monkeypatch.setattr(ApiClient, "request", counted)
    return sent
