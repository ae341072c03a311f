"""A service removal whose environments cannot be listed after it went through deletes the
copies kept for reads offline of that project only: they are the ones that could serve the
removed service's values. Another project's copies stay, and serve `run` with the server
out of reach (every copy of the workspace was deleted)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from envkeep.core.errors import UnreachableError

from .conftest import quick, quick_ok, server_only

if TYPE_CHECKING:
    from pathlib import Path

    import pytest

    from envkeep.client.context import ClientContext

    from .conftest import Envkeep, Homes

# Nothing listens here (the helper's range of ports): every request fails to connect.
OUT_OF_REACH = {"HTTP_PROXY": "http://127.0.0.1:18399", "http_proxy": None, "NO_PROXY": None}
OUT_OF_REACH |= {"no_proxy": None, "ALL_PROXY": None, "all_proxy": None}


def _tools(envkeep: Envkeep, tmp_path: Path) -> Path:
    """A second project, tools, in the same workspace, its dev copy kept by an `export`."""
    tools = tmp_path / "tools"
    tools.mkdir()
    for args in (("init", "tools"), ("set", "TOOL=hammer", "--env", "dev")):
        done = quick(envkeep, *args, cwd=tools)
        assert done.code == 0, done.describe()
    kept = quick(envkeep, "export", "--env", "dev", cwd=tools)
    assert kept.code == 0, kept.describe()
    return tools


def test_a_removal_that_cannot_list_after_it_keeps_other_projects_offline_copies(
    client: ClientContext,
    envkeep: Envkeep,
    homes: Homes,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    server_only(homes, "the copies kept for reads offline are a team server's")
    tools = _tools(envkeep, tmp_path)
    quick_ok(envkeep, "set", "QUEUE=jobs", "--env", "dev", "--service", "worker")
    quick_ok(envkeep, "export", "--env", "dev", "--service", "worker")  # keeps a copy of dev
    backend: Any = client.backend

    def unreachable(project: str) -> Any:
        raise UnreachableError(f"cannot reach the server to list {project} (connection refused)")

    monkeypatch.setattr(backend, "list_environments", unreachable)

    backend.remove_service("shop", "worker")

    offline_shop = envkeep("export", "--env", "dev", "--service", "worker", env=OUT_OF_REACH)
    assert offline_shop.code == 5, offline_shop.describe()  # no copy of shop's dev left
    assert "jobs" not in offline_shop.stdout
    offline_tools = envkeep(
        "run", "--env", "dev", "--", "sh", "-c", 'echo "tool=$TOOL"', cwd=tools, env=OUT_OF_REACH
    )
    assert offline_tools.code == 0, offline_tools.describe()
    assert offline_tools.stdout == "tool=hammer\n"
