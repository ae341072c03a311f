"""`check_signers` on its own: every entry is checked, so a server cannot slip a swapped key
past the check by naming the signer twice; a damaged pin file stops reads plainly."""

from __future__ import annotations

from types import SimpleNamespace
from typing import TYPE_CHECKING, Any

import pytest

from envkeep import crypto
from envkeep.app.views import PrincipalView
from envkeep.client.pins import check_signers
from envkeep.core.errors import IntegrityError

if TYPE_CHECKING:
    from pathlib import Path


def _principal(keys: crypto.PrivateKeys, principal_id: str = "bob") -> PrincipalView:
    public = keys.public()
    return PrincipalView(principal_id, "user", "bob@x.io", public.encryption, public.signing)


def _ctx(home: Path) -> Any:
    me = crypto.generate_keys()
    identity = SimpleNamespace(principal_id="me", record=SimpleNamespace(public=me.public()))
    notes: list[str] = []
    return SimpleNamespace(
        settings=SimpleNamespace(home=home),
        server_url="https://keep.example.com",
        identity=identity,
        notify=notes.append,
        warn_once=notes.append,  # as ClientContext says a warning
        made_here={},
        notes=notes,
    )


def test_one_signer_named_with_two_key_sets_is_refused(tmp_path: Path) -> None:
    real, fake = _principal(crypto.generate_keys()), _principal(crypto.generate_keys())
    ctx = _ctx(tmp_path)
    check_signers(ctx, [real])  # pinned

    for sent in ([fake, real], [real, fake], [fake]):
        with pytest.raises(IntegrityError, match="CHANGED"):
            check_signers(ctx, sent)
    fresh = _ctx(tmp_path / "fresh")
    with pytest.raises(IntegrityError, match="CHANGED"):
        check_signers(fresh, [fake, real])  # never seen, but two key sets for one id


def test_a_first_seen_signer_is_noted_once_with_its_fingerprint(tmp_path: Path) -> None:
    keys = crypto.generate_keys()
    ctx = _ctx(tmp_path)
    check_signers(ctx, [_principal(keys), _principal(keys)])
    check_signers(ctx, [_principal(keys)])
    note = (
        "note: first values signed by bob@x.io read here; their key's fingerprint is"
        f" {keys.public().fingerprint()}: compare it with what 'envkeep whoami --fingerprint'"
        " shows them"
    )
    assert ctx.notes == [note]


def test_a_damaged_pin_file_is_named_not_reset(tmp_path: Path) -> None:
    (tmp_path / "known_keys.json").write_text("{not json", encoding="utf-8")
    with pytest.raises(IntegrityError, match=r"known_keys\.json is damaged"):
        check_signers(_ctx(tmp_path), [_principal(crypto.generate_keys())])
    assert (tmp_path / "known_keys.json").read_text(encoding="utf-8") == "{not json"
