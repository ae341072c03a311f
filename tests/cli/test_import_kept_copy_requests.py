"""A write brings the copy kept for reads offline past itself from its answer (the new
revision and its versions' time) when the copy is of the state just before it: `import` on a
team server fetched the environment whole again after its write. The copy then is the one a
fetch gives, and an offline read shows what was imported."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tests.counted_reads import requests_sent

from .conftest import quick_ok, server_only

if TYPE_CHECKING:
    from pathlib import Path

    import pytest

    from envkeep.client.context import ClientContext
    from envkeep.client.snapshot_reads import SnapshotReads

    from .conftest import Envkeep, Homes

OUT_OF_REACH = {"HTTP_PROXY": "http://127.0.0.1:18398", "http_proxy": None, "NO_PROXY": None}
OUT_OF_REACH |= {"no_proxy": None, "ALL_PROXY": None, "all_proxy": None}
IMPORTED = "QUEUE=jobs\nQUEUE_URL=redis://${QUEUE}\nLOG_LEVEL=debug\n"


def test_import_keeps_its_copy_from_the_write_answer_without_fetching_again(
    client: ClientContext, envkeep: Envkeep, homes: Homes, monkeypatch: pytest.MonkeyPatch
) -> None:
    server_only(homes, "the copies kept for reads offline are a team server's")
    quick_ok(envkeep, "set", "LOG_LEVEL=info", "PORT=3000", "--env", "dev")
    quick_ok(envkeep, "validate", "--env", "dev", "--all")  # keeps a copy of every scope
    (envkeep.cwd / "imported.env").write_text(IMPORTED)
    sent = requests_sent(monkeypatch)

    done = quick_ok(
        envkeep, "import", "imported.env", "--env", "dev", "-s", "api", "--on-conflict", "overwrite"
    )

    said = "imported into dev (service api): 3 new, 0 overwritten, 0 unchanged, 0 skipped\n"
    assert done.stderr == said
    assert sent.count("GET snapshot") == 1  # the import's own read; none after its write
    assert sent.count("POST secrets") == 1
    reads: SnapshotReads = client.backend._snapshots  # type: ignore[attr-defined]
    assert reads.cache is not None
    path = reads.path("shop", "dev")
    kept = reads.cache.whole_copy(path)
    fetched = client.backend.api.request("GET", path, params={"all_scopes": "true"})  # type: ignore[attr-defined]
    assert kept == fetched


def test_a_value_imported_is_read_offline_from_the_copy_the_write_kept(
    client: ClientContext, envkeep: Envkeep, homes: Homes, tmp_path: Path
) -> None:
    server_only(homes, "the copies kept for reads offline are a team server's")
    quick_ok(envkeep, "set", "LOG_LEVEL=info", "--env", "dev")
    quick_ok(envkeep, "validate", "--env", "dev", "--all")
    (envkeep.cwd / "imported.env").write_text(IMPORTED)
    quick_ok(envkeep, "import", "imported.env", "--env", "dev", "-s", "api")

    offline = envkeep("get", "QUEUE_URL", "--env", "dev", "-s", "api", env=OUT_OF_REACH)

    assert offline.code == 0, offline.describe()
    assert offline.stdout == "redis://jobs\n"


def test_import_says_the_same_on_both_backends(envkeep: Envkeep, project: Path) -> None:
    quick_ok(envkeep, "set", "LOG_LEVEL=info", "--env", "dev", "-s", "api")
    quick_ok(envkeep, "validate", "--env", "dev", "--all")
    (envkeep.cwd / "imported.env").write_text(IMPORTED)

    done = envkeep("import", "imported.env", "--env", "dev", "-s", "api", "--on-conflict", "skip")

    assert done.code == 0, done.describe()
    assert done.stderr == (
        "imported into dev (service api): 2 new, 0 overwritten, 0 unchanged, 1 skipped\n"
    )
    shown = quick_ok(envkeep, "get", "QUEUE_URL", "--env", "dev", "-s", "api")
    assert shown.stdout == "redis://jobs\n"
