"""A join whose reset code was withdrawn (a second `member reset` deletes the open codes)
while it ran is refused in the words of a join that came after the withdrawal: "unknown
invite code", not "used already" (`invite_codes.claim_invite`). The withdrawal is put between
the join's read of the code and its claim by a hook on the claim's UPDATE (SQLite and
PostgreSQL), and on PostgreSQL also by a real second reset the join waits on. A logged-in
account's join of an invite withdrawn the same way gets its 403 in the same words."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from sqlalchemy import event
from sqlalchemy.engine import Engine

from envkeep.app.invite_codes import UNKNOWN, parse_code
from envkeep.core.errors import NotAuthenticated
from tests.test_account_races import (
    _in_turn,
    _join,
    _member,
    _open_codes,
    _pat,
    _Racer,
    _reset,
    on_postgres,
    reset_once,
)
from tests.test_last_admin_race import BEN
from tests.test_member_sessions import _invite, _login, team

if TYPE_CHECKING:
    from typing import Any

    from tests.conftest import Owner, Store
    from tests.test_member_sessions import Team

__all__ = ["on_postgres", "reset_once", "team"]  # fixtures shared with other tests

_CLAIM = "UPDATE invites SET accepted_at"


def _refusal(work: Any) -> NotAuthenticated:
    with pytest.raises(NotAuthenticated) as refused:
        work()
    return refused.value


def _sequential_words(store: Store, owner: Owner) -> tuple[str, str]:
    """What a join with a code a later reset withdrew is told: (message, hint)."""
    withdrawn = _reset(store, owner, owner.principal_id)().code  # type: ignore[attr-defined]
    _reset(store, owner, owner.principal_id)()
    refused = _refusal(_join(store, withdrawn))
    return refused.message, str(refused.hint)


class _WithdrawBeforeClaim:
    """Deletes the invite on the claiming connection just before its conditional UPDATE runs,
    as a withdrawal that committed after the join read the code would leave it."""

    def __init__(self, code: str) -> None:
        self._invite_id = parse_code(code)[0]
        self.fired = 0

    def __call__(self, conn: Any, cursor: Any, statement: str, *_: object) -> None:
        if statement.startswith(_CLAIM) and not self.fired:
            self.fired += 1
            # The id is a UUID parse_code checked; no caller's text reaches this SQL.
            cursor.execute(f"DELETE FROM invites WHERE id = '{self._invite_id}'")  # noqa: S608

    def __enter__(self) -> _WithdrawBeforeClaim:
        event.listen(Engine, "before_cursor_execute", self)  # the server's own engine too
        return self

    def __exit__(self, *_: object) -> None:
        event.remove(Engine, "before_cursor_execute", self)


@pytest.fixture
def pat_reset(store: Store, owner: Owner) -> str:
    """Pat, a member, reset once: the code (on SQLite and PostgreSQL)."""
    _member(store, owner)
    code = _reset(store, owner, owner.principal_id)().code  # type: ignore[attr-defined]
    assert isinstance(code, str)
    return code


def test_a_reset_code_withdrawn_before_its_claim_is_an_unknown_code_as_after_it(
    store: Store, owner: Owner, pat_reset: str
) -> None:
    with _WithdrawBeforeClaim(pat_reset) as withdraw:
        raced = _refusal(_join(store, pat_reset))

    assert withdraw.fired == 1
    assert (raced.message, raced.hint) == (UNKNOWN, "ask for a new invite")
    assert (raced.message, raced.hint) == _sequential_words(store, owner)
    assert _pat(store) == (True, 0)  # nothing given: still voided, no role


def test_a_join_racing_a_second_reset_that_withdrew_its_code_says_unknown_code(
    store: Store, owner: Owner, reset_once: str
) -> None:
    reset, join = _Racer(_reset(store, owner, BEN)), _Racer(_join(store, reset_once))
    _in_turn(store, owner, reset, join)  # the join read the code, then waited on the reset

    assert not isinstance(reset.got, Exception), reset.got
    assert isinstance(join.got, NotAuthenticated), join.got
    assert (join.got.message, join.got.hint) == (UNKNOWN, "ask for a new invite")
    assert _pat(store) == (True, 0)
    assert _open_codes(store) == 1  # the second reset's


def _join_as_bob(team: Team, bob: str, code: str) -> tuple[int, str]:
    answer = team.as_(bob, "POST", "/v1/invites/join", json={"code": code})
    return answer.status_code, str(answer.json()["title"])


def test_an_invite_withdrawn_before_a_logged_in_join_claims_it_is_an_unknown_code(
    team: Team,
) -> None:
    made = team.as_(team.admin, "POST", "/v1/workspaces", json={"name": "tools"}).json()["id"]
    bob = _login(team.client, "bob@keep.io")
    raced_code = _invite(team, team.admin, made, "bob@keep.io")
    with _WithdrawBeforeClaim(raced_code) as withdraw:
        raced = _join_as_bob(team, bob, raced_code)
    later_code = _invite(team, team.admin, made, "bob@keep.io")
    path = f"/v1/workspaces/{made}/invites/{parse_code(later_code)[0]}"
    assert team.as_(team.admin, "DELETE", path).status_code == 204

    assert withdraw.fired == 1
    assert raced == (403, UNKNOWN)
    assert raced == _join_as_bob(team, bob, later_code)
