"""A member or token name mistyped in `member grant` (or `revoke`, `remove`, `verify`): the
answer was "no account or token" with the hint to invite it, which would invite an address
nobody reads. A slip of a name `member list` shows now says "did you mean" (and how to make
it, if it was meant); another name keeps the invite hint, one of the same domain too."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .conftest import quick_ok, server_only

if TYPE_CHECKING:
    from pathlib import Path

    from .conftest import Envkeep, Homes


def test_a_mistyped_token_name_in_a_grant_is_answered_with_the_close_name(
    envkeep: Envkeep, project: Path, homes: Homes
) -> None:
    server_only(homes, "members and tokens exist on a team server only")
    quick_ok(envkeep, "token", "create", "deploy-bot", "--project", "shop", "--env", "dev")

    typo = envkeep("member", "grant", "deploy-btO", "read", "--project", "shop", "--env", "dev")
    # the caller is tenant-N@example.com: one domain is no slip
    unknown = envkeep("member", "grant", "zed@example.com", "read", "--project", "shop")

    assert typo.code == 1, typo.describe()
    assert typo.err_lines[-2:] == [
        "error: no account or token 'deploy-btO' (did you mean 'deploy-bot'?)",
        "hint: if so, run it again with deploy-bot; a new token: envkeep token create deploy-btO",
    ], typo.describe()
    assert unknown.code == 1, unknown.describe()
    assert unknown.err_lines[-2] == "error: no account or token 'zed@example.com'"
    assert unknown.err_lines[-1].startswith("hint: invite them: envkeep member invite"), (
        unknown.describe()
    )


def test_a_mistyped_token_name_in_a_revoke_is_answered_with_the_close_name(
    envkeep: Envkeep, project: Path, homes: Homes
) -> None:
    server_only(homes, "members and tokens exist on a team server only")
    quick_ok(envkeep, "token", "create", "ci-staging", "--project", "shop", "--env", "staging")

    typo = envkeep("member", "revoke", "ci-stagign", "--project", "shop", "--env", "staging")

    assert typo.code == 1, typo.describe()
    # nothing is made by a revocation: the hint says no "a new token: envkeep token create"
    assert typo.err_lines[-2:] == [
        "error: no account or token 'ci-stagign' (did you mean 'ci-staging'?)",
        "hint: if so, run it again with ci-staging",
    ], typo.describe()
