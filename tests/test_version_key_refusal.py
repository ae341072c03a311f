"""A version sealed under a key version the reader holds no key for is refused naming the
environment (the refusal used to say "this environment", whichever one the command read)."""

from __future__ import annotations

import pytest

from envkeep import crypto
from envkeep.app.views import VersionView
from envkeep.client.envelopes import VersionOpener, seal_version
from envkeep.core.errors import PermissionDenied

AUTHOR = crypto.generate_keys()


def test_a_version_under_a_key_not_held_is_refused_naming_its_environment() -> None:
    sealed = seal_version(
        dek=crypto.new_data_key(),
        key_version=2,
        env_id="env-1",
        scope="shared",
        secret_id="s-1",
        version=1,
        name="DB_URL",
        value="x",
        author_id="a-1",
        author=AUTHOR,
    )
    version = VersionView(
        "s-1", "shared", 1, 2, sealed.name_ct, sealed.value_ct, "a-1", sealed.signature, ""
    )
    opener = VersionOpener(
        {1: crypto.new_data_key()}, "env-1", crypto.verify, named="environment shop/prod"
    )

    with pytest.raises(PermissionDenied) as refused:
        opener(version, AUTHOR.public())

    assert str(refused.value) == "you hold no key for key version 2 of environment shop/prod"
    assert (
        refused.value.hint
        == "ask an admin of environment shop/prod to share its keys with you again"
    )
