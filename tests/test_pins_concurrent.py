"""Pins written by several processes at once are all kept: each write merges into the file as
it is then, under its lock (two `run`s reading first-seen signers used to lose one's pins)."""

from __future__ import annotations

import json
import multiprocessing
from typing import TYPE_CHECKING

import pytest

from envkeep import crypto
from envkeep.app.views import PrincipalView
from envkeep.client.pins import _pin_first_seen, check_signers, load_pins, pin
from envkeep.core.errors import IntegrityError
from tests.test_check_signers import _ctx

if TYPE_CHECKING:
    from pathlib import Path

WORKERS, EACH = 6, 15


def _pin_many(home: Path, worker: int, start: multiprocessing.synchronize.Barrier) -> None:
    ctx = _ctx(home)
    signers = []
    for index in range(EACH):
        public = crypto.generate_keys().public()
        name = f"w{worker}-{index}@x.io"
        signers.append(PrincipalView(name, "user", name, public.encryption, public.signing))
    start.wait()
    for signer in signers:
        check_signers(ctx, [signer])


def test_pins_from_concurrent_processes_are_all_kept(tmp_path: Path) -> None:
    fork = multiprocessing.get_context("fork")
    start = fork.Barrier(WORKERS)
    workers = [fork.Process(target=_pin_many, args=(tmp_path, w, start)) for w in range(WORKERS)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(60)
    assert [w.exitcode for w in workers] == [0] * WORKERS

    pins = load_pins(_ctx(tmp_path))
    ids = {key.split("|", 1)[1] for key in pins if "|name|" not in key}
    assert ids == {f"w{w}-{i}@x.io" for w in range(WORKERS) for i in range(EACH)}
    assert len(pins) == 2 * WORKERS * EACH  # each id's key and its name


def test_a_verified_key_replaces_the_pin_and_a_first_sighting_does_not(tmp_path: Path) -> None:
    ctx = _ctx(tmp_path)
    first, second = crypto.generate_keys().public(), crypto.generate_keys().public()
    bob_first = PrincipalView("bob", "user", "bob@x.io", first.encryption, first.signing)
    bob_second = PrincipalView("bob", "user", "bob@x.io", second.encryption, second.signing)
    check_signers(ctx, [bob_first])

    # Another process's first sighting of other keys, pinned after this one read the file:
    # compared under the lock, refused as a changed key is, and the file keeps the first.
    with pytest.raises(IntegrityError, match="CHANGED"):
        _pin_first_seen(ctx, [bob_second])
    assert load_pins(ctx)["https://keep.example.com|bob"] == first.fingerprint()

    pin(ctx, "bob", second.fingerprint(), "bob@x.io")  # `member verify` of the new key

    written = json.loads((tmp_path / "known_keys.json").read_text(encoding="utf-8"))
    assert written["https://keep.example.com|bob"] == second.fingerprint()
    assert (tmp_path / "known_keys.json.lock").stat().st_mode & 0o777 == 0o600
