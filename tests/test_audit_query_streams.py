"""`audit --limit 0` prints the trail page by page: 203,000 events held at once took 470 MB
of the client's memory for the table, 250 MB for --json. What it shows of the events is
tests/cli's (test_audit_*); here, how much of the trail is held while it prints, and that the
JSON is the text one document of the whole list would be."""

from __future__ import annotations

import json
from dataclasses import replace
from types import SimpleNamespace
from typing import TYPE_CHECKING

import pytest

from envkeep.cli import audit_cmds
from envkeep.client import audit

from .test_audit_verify_streams import _Backend, _chain

if TYPE_CHECKING:
    from pathlib import Path


def _query(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, backend: _Backend, *, json_out: bool
) -> None:
    ctx = SimpleNamespace(
        backend=backend,
        has_checkout=False,
        settings=SimpleNamespace(project=None, home=tmp_path),
    )
    monkeypatch.setattr(audit_cmds, "make_context", lambda: ctx)
    audit_cmds.query(SimpleNamespace(invoked_subcommand=None), limit=0, json_out=json_out)  # type: ignore[arg-type]


@pytest.mark.parametrize("json_out", [False, True], ids=["table", "json"])
def test_listing_every_event_holds_about_one_page_of_them_at_a_time(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    json_out: bool,
) -> None:
    monkeypatch.setattr(audit, "PAGE", 10)
    backend = _Backend(_chain(200))
    longer = [replace(e, target="shop/a-longer-environment") for e in backend.trail[150:]]
    backend.trail[150:] = longer  # from seq 151, the 16th page on: a wider TARGET

    _query(monkeypatch, tmp_path, backend, json_out=json_out)

    printed = capsys.readouterr().out
    assert len(backend.alive_at_each_request) == 21  # 20 full pages, then an empty one
    assert max(backend.alive_at_each_request) <= 10  # the page before, at most
    if json_out:
        events = json.loads(printed)
        assert [e["seq"] for e in events] == list(range(1, 201))
        assert printed == json.dumps(events, indent=2, ensure_ascii=False) + "\n"
    else:
        lines = printed.splitlines()
        assert lines[0].split() == list(audit_cmds.COLUMNS)
        assert [line.split()[0] for line in lines[1:]] == [str(n) for n in range(1, 201)]
        # a column widens where a later page needs it, and never narrows
        outcome = [line.index(" ok") for line in lines[1:]]
        assert outcome[0] == outcome[149] < outcome[150] == outcome[-1], printed
