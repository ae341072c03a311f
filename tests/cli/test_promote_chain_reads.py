"""`promote`'s hint of the names to promote too follows a chain of references (`${HOST}`,
whose value is `${DOMAIN}`) with the reads the plan made: each link re-planned the promotion,
reading both environments again, though the write goes against the plan's read and a change
made since is still a conflict there (`conflicts.write_scoped_changes`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from envkeep.client import promotion
from tests.counted_reads import backend_reads

from .conftest import quick_ok

if TYPE_CHECKING:
    from pathlib import Path

    import pytest

    from envkeep.client.context import ClientContext

    from .conftest import Envkeep

CHAIN = ("DOMAIN=example.com", "HOST=${DOMAIN}", "URL=http://${HOST}:8000")


def test_a_promotion_hinting_a_chain_of_names_reads_each_environment_once(
    client: ClientContext, envkeep: Envkeep, monkeypatch: pytest.MonkeyPatch
) -> None:
    quick_ok(envkeep, "set", *CHAIN, "--env", "dev")
    read = backend_reads(client, monkeypatch)

    planned = promotion.plan_promotion(client, "dev", "staging", ["URL"])
    prepared = promotion.prepare_promotion(client, "dev", "staging", planned)

    assert prepared.also == ("DOMAIN", "HOST")
    assert sorted(read) == ["dev", "staging"]


def test_promote_dry_run_names_the_whole_chain_to_promote_too(
    envkeep: Envkeep, project: Path
) -> None:
    quick_ok(envkeep, "set", *CHAIN, "--env", "dev")

    done = envkeep("promote", "--from", "dev", "--to", "staging", "URL", "--dry-run")

    assert done.code == 0, done.describe()
    warned = (
        "warning: in 'staging', URL (shared) in api, worker does not resolve: URL -> HOST:"
        " 'HOST' is not set; export and run will fail until it does"
    )
    hinted = (
        "hint: 'dev' sets DOMAIN, HOST: to promote them too, run envkeep promote --from dev"
        " --to staging URL DOMAIN HOST"
    )
    said = [line for line in done.err_lines if line.startswith(("warning", "hint"))]
    assert said == [warned, hinted]
    assert done.err_lines[-1] == "would promote 1 value; nothing written"
