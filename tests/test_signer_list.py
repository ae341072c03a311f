"""ENVKEEP_SIGNERS: a reader that names its signers' fingerprints up front (a CI job on a
fresh ENVKEEP_HOME) trusts those and no other, instead of every signer on first use, every
run; `token create` prints the value that covers the token's scope. Unset, nothing changes."""

from __future__ import annotations

import re
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from envkeep import crypto
from envkeep.app.views import PrincipalView
from envkeep.client.new_keys import checked_recipient
from envkeep.client.pins import check_signers, load_pins
from envkeep.client.runner import child_environment
from envkeep.client.signer_list import compact, parse_signers
from envkeep.core.errors import IntegrityError, UsageError
from envkeep.settings import load_settings
from tests.server import TeamServer, join, start_server
from tests.server import cli as _cli
from tests.server import quick_ok as _ok

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

FIRST_USE_NOTE = "note: first values signed by"
fingerprints = st.lists(
    st.binary(min_size=16, max_size=16).map(
        lambda b: " ".join(b.hex()[i : i + 4] for i in range(0, 32, 4))
    ),
    min_size=1,
    max_size=4,
)


@given(fingerprints, st.sampled_from([", ", ",", "\n", "  ", " , "]), st.booleans())
def test_a_list_reads_back_as_whoami_prints_each_fingerprint(
    listed: list[str], separator: str, spaced: bool
) -> None:
    written = [f if spaced else f.replace(" ", "") for f in listed]
    assert parse_signers(separator.join(written)) == frozenset(listed)
    assert parse_signers(compact(listed).upper()) == frozenset(listed)
    for joiner in (":", "-"):  # as `member verify` takes them
        assert parse_signers(",".join(f.replace(" ", joiner) for f in listed)) == set(listed)


@pytest.mark.parametrize(
    ("value", "named"),
    [
        ("341a 626b 0c1d", "341a 626b 0c1d"),  # cut short
        ("341a626b0c1d", "341a626b0c1d"),
        ("zz1a626b0c1d2e3f4a5b6c7d8e9f0a1b", "zz1a626b0c1d2e3f4a5b6c7d8e9f0a1b"),
        ("341a 626b 0c1d 2e3f, 4a5b 6c7d 8e9f 0a1b", "341a 626b 0c1d 2e3f"),  # split by a comma
        ("341a:626b 0c1d:2e3f 4a5b 6c7d 8e9f 0a1b", "341a626b"),  # joined by halves
        (" , ", None),
    ],
)
def test_a_malformed_list_is_a_usage_error_naming_the_entry(value: str, named: str | None) -> None:
    with pytest.raises(UsageError) as refused:
        parse_signers(value)
    assert f"'{named}'" in refused.value.message if named else "lists no" in refused.value.message


def _signer(keys: crypto.PrivateKeys) -> PrincipalView:
    public = keys.public()
    return PrincipalView("bob", "user", "bob@x.io", public.encryption, public.signing)


def _ctx(home: Path, listed: frozenset[str] | None = None) -> Any:
    me = crypto.generate_keys()
    notes: list[str] = []
    return SimpleNamespace(
        listed_signers=listed,
        made_here={},
        settings=SimpleNamespace(home=home),
        server_url="https://keep.example.com",
        identity=SimpleNamespace(principal_id="me", record=SimpleNamespace(public=me.public())),
        notify=notes.append,
        warn_once=notes.append,  # as ClientContext says a warning
        notes=notes,
    )


def test_a_listed_signer_is_pinned_without_a_note_and_another_is_refused(tmp_path: Path) -> None:
    keys, other = crypto.generate_keys(), crypto.generate_keys()
    listed = frozenset({keys.public().fingerprint()})
    ctx = _ctx(tmp_path)

    check_signers(ctx, [_signer(keys)], listed)
    assert ctx.notes == []
    assert (tmp_path / "known_keys.json").exists()
    with pytest.raises(IntegrityError, match="ENVKEEP_SIGNERS does not list"):
        check_signers(_ctx(tmp_path / "fresh"), [_signer(other)], listed)


def test_a_token_left_out_of_the_list_is_checked_with_the_token_not_asked_by_phone(
    tmp_path: Path,
) -> None:
    keys = crypto.generate_keys()
    public = keys.public()
    token = PrincipalView("ci", "service", "sa:ws:ci-write", public.encryption, public.signing)
    listed = frozenset({crypto.generate_keys().public().fingerprint()})

    with pytest.raises(IntegrityError) as refused:
        check_signers(_ctx(tmp_path), [token], listed)

    assert refused.value.message.startswith("token ci-write signed what the server sent")
    hint = str(refused.value.hint)
    assert "by phone" not in hint  # a token has no one to ask
    assert "ENVKEEP_TOKEN" in hint
    assert "envkeep whoami --fingerprint" in hint
    assert "add it to ENVKEEP_SIGNERS" in hint


def test_a_signer_pinned_before_the_list_was_set_is_refused_when_it_leaves_it_out(
    tmp_path: Path,
) -> None:
    keys, other = crypto.generate_keys(), crypto.generate_keys()
    ctx = _ctx(tmp_path)
    check_signers(ctx, [_signer(other)], None)  # trusted on first use: pinned in this home
    assert len(ctx.notes) == 1

    with pytest.raises(IntegrityError, match="ENVKEEP_SIGNERS does not list"):
        check_signers(_ctx(tmp_path), [_signer(other)], frozenset({keys.public().fingerprint()}))


def test_a_listed_key_is_sealed_to_on_first_use_and_an_unlisted_one_is_refused(
    tmp_path: Path,
) -> None:
    keys, other = crypto.generate_keys(), crypto.generate_keys()
    ctx = _ctx(tmp_path, frozenset({keys.public().fingerprint()}))

    assert checked_recipient(ctx, _signer(keys), "prod's key") == keys.public()
    assert ctx.notes == []  # compared when the list was written
    with pytest.raises(IntegrityError) as refused:
        checked_recipient(_ctx(tmp_path / "fresh", ctx.listed_signers), _signer(other), "x")
    unlisted = other.public().fingerprint()
    assert f"has a key ENVKEEP_SIGNERS does not list ({unlisted})" in refused.value.message
    assert "bob@x.io" in refused.value.message
    assert refused.value.message.endswith("x was not sealed to it")
    assert "add it to ENVKEEP_SIGNERS" in str(refused.value.hint)
    assert load_pins(_ctx(tmp_path / "fresh")) == {}


def test_without_a_list_a_key_is_sealed_to_on_first_use_with_a_note(tmp_path: Path) -> None:
    keys = crypto.generate_keys()
    ctx = _ctx(tmp_path)

    assert checked_recipient(ctx, _signer(keys), "prod's key") == keys.public()
    assert keys.public().fingerprint() in ctx.notes[0]


def test_an_empty_list_is_refused_not_taken_for_unset() -> None:
    settings = load_settings({"ENVKEEP_SIGNERS": ""})

    assert settings.signers == ""
    with pytest.raises(UsageError, match="set but empty"):
        parse_signers(settings.signers)
    assert load_settings({}).signers is None


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TeamServer]:
    running = start_server(tmp_path_factory.mktemp("signer-list"))
    yield running
    running.stop()


class Team:
    """Alice (admin) made project shop, DB set in staging; Bob, a writer there, set API_KEY;
    Alice made a read token ``ci`` for staging, and said the ENVKEEP_SIGNERS to keep with it."""

    def __init__(self, server: TeamServer, root: Path) -> None:
        self.server, self.root, self.bare = server, root, root / "bare"
        alice, bob, work = root / "alice", root / "bob", root / "work"
        self.alice_home, self.work = alice, work
        work.mkdir()
        self.bare.mkdir()
        join(server, alice, work, server.invite("alice@signers.io"), "alice@signers.io")
        _ok(alice, work, "init", "shop")
        _ok(alice, work, "set", "DB=genuine", "--env", "staging")
        invite = ("member", "invite", "bob@signers.io", "--role", "write", "--project", "shop")
        join(server, bob, work, _ok(alice, work, *invite).strip(), "bob@signers.io")
        _ok(alice, work, "member", "grant", "bob@signers.io", "write", "--project", "shop")
        _ok(bob, work, "set", "API_KEY=from-bob", "--env", "staging")
        made = _cli(alice, work, "token", "create", "ci", "--project", "shop", "--env", "staging")
        assert made.returncode == 0, made.stderr
        self.token, self.created = made.stdout.strip(), made.stderr
        fingerprint = re.compile(r"^fingerprint: (.+)$", re.MULTILINE)
        self.alice = fingerprint.findall(_ok(alice, work, "whoami", "--fingerprint"))[0]
        self.bob = fingerprint.findall(_ok(bob, work, "whoami", "--fingerprint"))[0]

    def suggested(self) -> str:
        found = re.search(r"set ENVKEEP_SIGNERS=(\S+) beside it", self.created)
        assert found is not None, self.created
        return found[1]

    def ci(self, *args: str, token: str | None = None, **extra: str) -> tuple[int, str, str]:
        """`run` (or ``args``) as a CI job: a token only (``ci``'s unless given), a fresh
        ENVKEEP_HOME each time."""
        home = self.root / f"ci-{len(list(self.root.glob('ci-*')))}"
        done = _cli(
            home,
            self.bare,
            *(args or ("run", "--env", "staging", "--", "sh", "-c", "echo $DB $API_KEY")),
            ENVKEEP_TOKEN=token or self.token,
            ENVKEEP_SERVER=self.server.url,
            ENVKEEP_PROJECT="shop",
            **extra,
        )
        return done.returncode, done.stdout, done.stderr


@pytest.fixture(scope="module")
def team(server: TeamServer, tmp_path_factory: pytest.TempPathFactory) -> Team:
    return Team(server, tmp_path_factory.mktemp("team"))


def test_token_create_says_the_signers_to_keep_beside_the_token(team: Team) -> None:
    assert parse_signers(team.suggested()) == {team.alice, team.bob}
    assert "trust only the keys this machine trusts of you, bob@signers.io (who" in team.created
    assert team.token not in team.created


@pytest.fixture
def own_team(tmp_path: Path) -> Iterator[Team]:
    """A Team on a server of its own (its accounts' emails are the module team's)."""
    running, root = start_server(tmp_path / "server"), tmp_path / "team"
    root.mkdir()
    try:
        yield Team(running, root)
    finally:
        running.stop()


def test_a_former_writers_values_are_covered_by_a_new_tokens_suggestion(own_team: Team) -> None:
    team = own_team  # Bob wrote API_KEY in staging
    ws = ("--project", "shop")
    _ok(team.alice_home, team.work, "member", "grant", "bob@signers.io", "read", *ws, "--yes")
    made = _cli(team.alice_home, team.work, "token", "create", "ci-2", *ws, "--env", "staging")
    assert made.returncode == 0, made.stderr
    team.token, team.created = made.stdout.strip(), made.stderr

    assert parse_signers(team.suggested()) == {team.alice, team.bob}
    code, out, err = team.ci(ENVKEEP_SIGNERS=team.suggested())
    assert (code, out) == (0, "genuine from-bob\n"), err


def test_a_token_run_trusting_its_signers_by_name_reads_with_no_first_use_note(
    team: Team,
) -> None:
    for listed in (team.suggested(), f"{team.bob}, {team.alice}, {'0' * 32}"):
        code, out, err = team.ci(ENVKEEP_SIGNERS=listed)
        assert (code, out) == (0, "genuine from-bob\n"), err
        assert FIRST_USE_NOTE not in err


def test_a_token_run_refuses_a_signer_its_list_leaves_out(team: Team) -> None:
    code, out, err = team.ci(ENVKEEP_SIGNERS=team.alice)  # Bob wrote API_KEY

    assert code == IntegrityError.exit_code, err
    assert out == ""
    assert "bob@signers.io signed what the server sent with a key ENVKEEP_SIGNERS does not" in err
    assert team.bob in err
    assert "add it to ENVKEEP_SIGNERS" in err
    assert "from-bob" not in out + err


def test_an_admin_token_with_a_list_seals_a_new_key_to_no_key_it_leaves_out(team: Team) -> None:
    made = ("token", "create", "ci-admin", "--project", "shop", "--role", "admin")
    admin = _ok(team.alice_home, team.work, *made).strip()

    code, _, err = team.ci("env", "create", "qa", token=admin, ENVKEEP_SIGNERS=team.alice)

    assert code == 0, err
    assert "not sealed to bob@signers.io" in err
    assert f"a key ENVKEEP_SIGNERS does not list ({team.bob})" in err
    assert "add it to ENVKEEP_SIGNERS" in err
    assert "not sealed to alice" not in err
    assert "had not seen before" not in err  # Alice's key is listed: sealed without a note


def test_a_malformed_list_stops_a_token_run_before_it_reads(team: Team) -> None:
    code, out, err = team.ci(ENVKEEP_SIGNERS=f"{team.alice}, 341a 626b")

    assert code == UsageError.exit_code, err
    assert "ENVKEEP_SIGNERS: '341a 626b' is not a key fingerprint" in err
    assert out == ""


def test_without_a_list_a_token_run_trusts_its_signers_on_first_use_as_before(
    team: Team,
) -> None:
    code, out, err = team.ci()

    assert (code, out) == (0, "genuine from-bob\n"), err
    assert f"{FIRST_USE_NOTE} alice@signers.io read here" in err
    assert f"{FIRST_USE_NOTE} bob@signers.io read here" in err


def test_run_passes_the_list_on_to_its_command_as_it_is_public() -> None:
    listed = "0" * 32
    base = {"ENVKEEP_SIGNERS": listed, "ENVKEEP_TOKEN": "ek_sa_x"}

    passed = child_environment(base, {})

    assert passed["ENVKEEP_SIGNERS"] == listed
    assert passed["ENVKEEP_WITHHELD"] == "ENVKEEP_TOKEN"
