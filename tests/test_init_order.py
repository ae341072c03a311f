"""`init` writes envkeep.toml as soon as the project exists, so that a failure after it (a
service the store would not take, the connection lost) is finished by running `init` again,
where a project without its file could only be refused as existing."""

from __future__ import annotations

from contextlib import closing
from typing import TYPE_CHECKING

import pytest

from envkeep.client import projects
from envkeep.client.context import ClientContext
from envkeep.client.local import LocalBackend
from envkeep.core.errors import UnreachableError
from envkeep.core.projectfile import ServiceEntry, load_project_file
from envkeep.settings import load_settings

if TYPE_CHECKING:
    from pathlib import Path


def test_a_failure_after_the_project_exists_is_finished_by_init_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    home, work = tmp_path / "home", tmp_path / "work"
    (work / "api").mkdir(parents=True)
    settings = load_settings({"ENVKEEP_HOME": str(home), "ENVKEEP_KEYRING": "off"})
    api = ServiceEntry("api", path="api")

    def lost(*_args: object, **_kwargs: object) -> None:
        raise UnreachableError("connection lost")

    with monkeypatch.context() as patched, closing(ClientContext(settings, work)) as first:
        patched.setattr(LocalBackend, "add_service", lost)
        with pytest.raises(UnreachableError):
            projects.init_project(first, "shop", ["dev"], [api])

    declared = load_project_file(work / "envkeep.toml")
    with closing(ClientContext(settings, work)) as second:
        again = projects.init_project(second, None)
    with closing(ClientContext(settings, work)) as third:
        listed = third.backend.list_services("shop")

    assert [s.name for s in declared.services] == ["api"]
    assert again.created is False
    assert again.registered == ("api",)
    assert [s.name for s in listed] == ["api"]
