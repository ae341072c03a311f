"""A command that needs an environment's data key its caller holds no share of names who holds
it (`client/key_holders`), on a real team server over SQLite and PostgreSQL: an admin of the
project never sealed its keys is told, by `member seal`, `member grant` and a read, which admins
hold the key and the command to ask them for, and that command works when one of them runs it.
A caller who may not see who holds it (no admin there) is told what it was told before; when
nobody who keeps access holds the key, the refusal says so and that the environment is
re-created (a rotation cannot: it opens the values first), and those steps work."""

from __future__ import annotations

from types import SimpleNamespace
from typing import TYPE_CHECKING, Any, cast

import pytest

from envkeep.client.envelopes import NOT_HELD_HINT
from envkeep.client.key_holders import KeyHolders, asking, holders_among, names, unopenable
from tests.server import TeamServer, join, server_per_database
from tests.server import cli as _cli
from tests.server import quick_ok as _ok

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

    from envkeep.client.context import ClientContext


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[TeamServer]:
    yield from server_per_database(request, tmp_path_factory, "key-holders")


def _joined(
    server: TeamServer, alice: Path, home: Path, work: Path, email: str, *role: str
) -> None:
    """``email`` invited by ``alice`` with ``role`` (--role R --project P …) joins; no key is
    sealed to them."""
    code = _ok(alice, work, "member", "invite", email, *role).strip()
    join(server, home, work, code, email)


def _founded(server: TeamServer, tmp_path: Path, domain: str) -> tuple[Path, Path]:
    """(alice's home, the project dir): alice@``domain`` founds a workspace with project shop,
    whose prod holds DB=prod-db."""
    alice, work = tmp_path / "alice", tmp_path / "work"
    work.mkdir()
    join(server, alice, work, server.invite(f"alice@{domain}"), f"alice@{domain}")
    _ok(alice, work, "init", "shop")
    _ok(alice, work, "set", "DB=prod-db", "--env", "prod")
    return alice, work


def test_a_keyless_admin_is_told_who_holds_the_key_and_the_command_that_works_for_them(
    server: TeamServer, tmp_path: Path
) -> None:
    alice, work = _founded(server, tmp_path, "held.io")
    carol, bob, dan = tmp_path / "carol", tmp_path / "bob", tmp_path / "dan"
    _joined(server, alice, carol, work, "carol@held.io", "--role", "admin", "--project", "shop")
    _joined(server, alice, bob, work, "bob@held.io", "--role", "write", "--project", "shop")
    prod = ("--project", "shop", "--env", "prod")
    _joined(server, alice, dan, work, "dan@held.io", "--role", "read", *prod)

    sealed = _cli(carol, work, "member", "seal", "bob@held.io")
    granted = _cli(carol, work, "member", "grant", "bob@held.io", "write", "--project", "shop")
    read = _cli(carol, work, "get", "DB", "--env", "prod")
    not_admin = _cli(dan, work, "get", "DB", "--env", "prod")
    own = _cli(carol, work, "member", "seal", "carol@held.io")

    assert sealed.returncode == 1, sealed.stderr
    assert "could not seal keys to bob@held.io (write on shop): you hold no key for" in (
        sealed.stderr
    )
    assert (
        "ask one who holds it (alice@held.io) to run: envkeep member seal bob@held.io;"
        " or to seal it to you first (then run this again): envkeep member seal carol@held.io"
    ) in sealed.stderr, sealed.stderr
    assert granted.returncode == 4, granted.stderr
    assert (
        "hint: ask one who holds it (alice@held.io) to run:"
        " envkeep member grant bob@held.io write --project shop;"
    ) in granted.stderr, granted.stderr
    assert read.returncode == 4, read.stderr
    assert read.stderr.splitlines()[-2:] == [  # after the note of a signer first seen
        "error: you hold no key for environment shop/prod",
        (
            "hint: ask one who holds it (alice@held.io) to seal it to you:"
            " they run envkeep member seal carol@held.io"
        ),
    ]
    assert own.returncode == 1, own.stderr
    assert own.stderr.splitlines()[-1] == (
        "could not seal keys to carol@held.io: your own keys are sealed to you by another;"
        " ask one who holds them (alice@held.io) to run: envkeep member seal carol@held.io"
    ), own.stderr
    assert not_admin.returncode == 4, not_admin.stderr
    assert not_admin.stderr.splitlines()[-2:] == [
        "error: you hold no key for environment shop/prod",
        f"hint: {NOT_HELD_HINT}",
    ]

    # The hints' commands, run by the one they name, do what they say.
    _ok(alice, work, "member", "seal", "bob@held.io")
    assert _ok(bob, work, "get", "DB", "--env", "prod") == "prod-db\n"
    _ok(alice, work, "member", "seal", "carol@held.io")
    assert _ok(carol, work, "get", "DB", "--env", "prod") == "prod-db\n"
    _ok(carol, work, "member", "seal", "dan@held.io")  # carol holds the keys now
    assert _ok(dan, work, "get", "DB", "--env", "prod") == "prod-db\n"


def test_when_no_one_who_keeps_access_holds_a_key_the_refusals_say_to_recreate_it(
    server: TeamServer, tmp_path: Path
) -> None:
    alice, work = _founded(server, tmp_path, "gone.io")
    carol = tmp_path / "carol"
    _joined(server, alice, carol, work, "carol@gone.io", "--role", "admin")

    refused = _cli(carol, work, "member", "remove", "alice@gone.io", "--yes")
    removed = _cli(carol, work, "member", "remove", "alice@gone.io", "--yes", "--revoke-now")
    read = _cli(carol, work, "get", "DB", "--env", "prod")
    rotated = _cli(carol, work, "env", "rotate-key", "prod")
    own = _cli(carol, work, "member", "seal", "carol@gone.io")

    assert refused.returncode == 4, refused.stderr
    assert "which removing alice@gone.io must rotate; nothing changed" in refused.stderr
    assert (
        "hint: no admin who keeps access holds the keys of shop/dev, shop/prod and"
        " shop/staging: nobody can seal them or rotate them; to cut the access at once all the"
        " same, run it again with --revoke-now; then an admin re-creates each of those"
        " environments and sets its values again: in its project's checkout: envkeep env"
        " delete ENV, then envkeep env create ENV (a protected one first: envkeep env edit ENV"
        " --unprotect)"
    ) in refused.stderr, refused.stderr
    assert removed.returncode == 1, removed.stderr  # removed; its rotations left
    assert removed.stderr.splitlines()[-1] == (
        "hint: no admin who keeps access holds the keys of shop/dev, shop/prod and"
        " shop/staging, so nobody can rotate them: values written there are open to whoever"
        " held the old keys until an admin re-creates each environment and sets its values"
        " again (in its project's checkout: envkeep env delete ENV,"
        " then envkeep env create ENV (a protected one first: envkeep env edit ENV --unprotect))"
    )
    recreate = (
        "no one who keeps access holds the key of shop/prod: nobody can seal it or rotate it,"
        " and its values cannot be read again; an admin of project shop re-creates the"
        " environment and sets them again: in project shop's checkout:"
        " envkeep env delete prod, then envkeep env create prod (a protected one first: envkeep"
        " env edit prod --unprotect)"
    )
    assert read.returncode == 4, read.stderr
    assert read.stderr.splitlines()[-2:] == [
        "error: you hold no key for environment shop/prod",
        f"hint: {recreate}",
    ]
    assert rotated.returncode == 4, rotated.stderr  # a rotation opens the values first
    assert f"hint: {recreate}" in rotated.stderr, rotated.stderr
    assert own.returncode == 1, own.stderr
    assert own.stderr.splitlines()[-1] == (
        "could not seal keys to carol@gone.io: your own keys are sealed to you by another;"
        " no admin who keeps access holds the keys of shop/dev, shop/prod and shop/staging:"
        " nobody can seal them or rotate them; an admin re-creates each of those environments"
        " and sets its values again: in its project's checkout: envkeep env delete ENV, then"
        " envkeep env create ENV (a protected one first: envkeep env edit ENV --unprotect)"
    ), own.stderr

    _ok(carol, work, "env", "delete", "prod", "--yes")
    _ok(carol, work, "env", "create", "prod")
    _ok(carol, work, "set", "DB=again", "--env", "prod")
    assert _ok(carol, work, "get", "DB", "--env", "prod") == "again\n"


# -- the readers answer read, and the words ------------------------------------------------


def _reader(pid: str, name: str, role: str, *, held: bool, kind: str = "user") -> dict[str, Any]:
    key = "AAAA"
    return {
        "id": pid,
        "kind": kind,
        "name": name,
        "encryption_public": key,
        "signing_public": key,
        "role": role,
        "holds_key": held,
    }


ME = cast("ClientContext", SimpleNamespace(identity=SimpleNamespace(principal_id="me")))


def test_the_admins_who_hold_the_key_are_named_people_first_tokens_labelled() -> None:
    readers = [
        _reader("me", "carol@x.io", "admin", held=False),
        _reader("t1", "sa:ws:deploy", "admin", held=True, kind="service"),
        _reader("u2", "zed@x.io", "admin", held=True),
        _reader("u3", "amy@x.io", "admin", held=True),
        _reader("u4", "bob@x.io", "read", held=True),
        _reader("u5", "eve@x.io", "admin", held=False),
        _reader("u6", "gone@x.io", "admin", held=True),
    ]

    found = holders_among(ME, "shop", "prod", readers, lambda r: r["id"] == "u6")

    assert found is not None
    assert found.admins == ("amy@x.io", "zed@x.io", "token deploy")
    assert (found.others, found.me) == (("bob@x.io",), "carol@x.io")


def test_an_answer_from_a_server_that_does_not_say_who_holds_the_key_names_no_one() -> None:
    older = _reader("me", "carol@x.io", "admin", held=False)
    del older["holds_key"], older["role"]

    assert holders_among(ME, "shop", "prod", [older], lambda _r: False) is None


def test_a_few_holders_are_named_then_how_many_more() -> None:
    assert names(["a@x.io"]) == "a@x.io"
    assert names(["a@x.io", "b@x.io", "c@x.io"]) == "a@x.io, b@x.io and c@x.io"
    assert names([f"{c}@x.io" for c in "abcde"]) == "a@x.io, b@x.io, c@x.io and 2 more"


def test_the_hint_asks_a_holder_to_run_the_command_or_says_why_none_can() -> None:
    held = KeyHolders("shop", "prod", ("a@x.io",), (), "me@x.io")
    readers_only = KeyHolders("shop", "prod", (), ("bob@x.io",), "me@x.io")

    assert asking(held, "envkeep member seal bob@x.io") == (
        "ask one who holds it (a@x.io) to run: envkeep member seal bob@x.io; or to seal it to"
        " you first (then run this again): envkeep member seal me@x.io"
    )
    assert asking(readers_only, "envkeep member seal bob@x.io") == unopenable(readers_only)
    assert unopenable(readers_only) == (
        "no admin who keeps access holds the key of shop/prod, only bob@x.io, who cannot seal"
        " it: nobody can seal it or rotate it; bob@x.io can still read its values, so an admin"
        " of project shop re-creates the environment and sets them again: in project shop's"
        " checkout: envkeep env delete prod, then envkeep env create"
        " prod (a protected one first: envkeep env edit prod --unprotect)"
    )
