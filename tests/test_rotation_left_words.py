"""What a revocation's rotation left says of an environment that failed for a reason not
envkeep's own: words (a system error's reason; for a bug, that it failed unexpectedly), never
an exception's class name."""

from __future__ import annotations

from typing import Any

import pytest

from envkeep.client import key_rotation
from envkeep.core.rotation_left import RotationLeft

CTX: Any = object()  # a client context the stubs below never read
NAMED = [
    {"project": "shop", "environment": "dev", "environment_id": "id-dev"},
    {"project": "shop", "environment": "prod", "environment_id": "id-prod"},
]


def _left_after(monkeypatch: pytest.MonkeyPatch, failure: Exception) -> RotationLeft:
    def rotate_key(_ctx: object, environment: str, **_: object) -> int:
        if environment == "prod":
            raise failure
        return 2

    monkeypatch.setattr(key_rotation, "rotate_key", rotate_key)
    with pytest.raises(RotationLeft) as raised:
        key_rotation.rotate_environments(CTX, {"environment_ids": [], "environments": NAMED})
    return raised.value


def test_a_bug_in_one_rotation_is_said_in_words_not_its_class_name(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    left = _left_after(monkeypatch, KeyError("environment_id"))

    assert left.left == (("shop", "prod", "failed unexpectedly: a bug in envkeep"),)
    assert "KeyError" not in left.message
    assert "shop/prod (failed unexpectedly: a bug in envkeep)" in left.message
    assert "envkeep env rotate-key prod --project shop" in (left.hint or "")


def test_a_system_error_in_one_rotation_is_said_by_its_reason(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    left = _left_after(monkeypatch, PermissionError(13, "Permission denied"))

    assert left.left == (("shop", "prod", "permission denied"),)
    assert "PermissionError" not in left.message
