"""An invites.json that is no JSON object refuses a new invite before the server makes it (its
secret could not be kept beside the others), with a hint to move the file aside: the hint to
make it writable, right for a read-only home, would not mend it."""

from __future__ import annotations

from types import SimpleNamespace
from typing import TYPE_CHECKING, cast

import pytest

from envkeep.client.invite_proofs import check_invite_secrets_kept
from envkeep.core.errors import ConflictError

if TYPE_CHECKING:
    from pathlib import Path

    from envkeep.client.context import ClientContext


def _context(home: Path) -> ClientContext:
    return cast("ClientContext", SimpleNamespace(settings=SimpleNamespace(home=home)))


def test_a_damaged_invites_file_is_refused_with_a_hint_to_move_it_aside(tmp_path: Path) -> None:
    (tmp_path / "invites.json").write_text("{not json", encoding="utf-8")

    with pytest.raises(ConflictError) as refused:
        check_invite_secrets_kept(_context(tmp_path), "no invite was made")

    assert "(it is damaged)" in refused.value.message
    assert (refused.value.hint or "").startswith(f"move {tmp_path / 'invites.json'} aside")


def test_a_readable_invites_file_lets_the_invite_go_on(tmp_path: Path) -> None:
    (tmp_path / "invites.json").write_text("{}", encoding="utf-8")

    check_invite_secrets_kept(_context(tmp_path), "no invite was made")
