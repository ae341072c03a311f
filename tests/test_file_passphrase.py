"""A file's passphrase comes from ENVKEEP_FILE_PASSPHRASE or a terminal, never from
ENVKEEP_PASSPHRASE (the identity's or the login's): a file's passphrase is handed out with
the file, which goes into git."""

from __future__ import annotations

import pytest

from envkeep.cli import file_passphrase
from envkeep.core.errors import UsageError
from envkeep.settings import load_settings


def _terminal(monkeypatch: pytest.MonkeyPatch, answers: list[str]) -> list[str]:
    """A terminal that answers each prompt with the next of ``answers``; the prompts asked."""
    asked: list[str] = []

    def getpass(prompt: str) -> str:
        asked.append(prompt)
        return answers.pop(0)

    monkeypatch.setattr(file_passphrase, "interactive", lambda settings: True)
    monkeypatch.setattr("getpass.getpass", getpass)
    return asked


@pytest.fixture
def typed(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """A terminal that answers the file's passphrase (twice when asked twice)."""
    return _terminal(monkeypatch, ["typed for the file", "typed for the file"])


def test_a_terminal_is_asked_although_envkeep_passphrase_is_set(typed: list[str]) -> None:
    settings = load_settings({"ENVKEEP_PASSPHRASE": "unlocks the identity"})

    assert file_passphrase.passphrase_source(settings, confirm=True)() == "typed for the file"
    assert typed == ["File passphrase: ", "Repeat it: "]


def test_opening_a_file_asks_once(typed: list[str]) -> None:
    settings = load_settings({"ENVKEEP_PASSPHRASE": "unlocks the identity"})

    assert file_passphrase.passphrase_source(settings, confirm=False)() == "typed for the file"
    assert typed == ["File passphrase: "]


def test_envkeep_file_passphrase_is_taken_without_asking(typed: list[str]) -> None:
    settings = load_settings({"ENVKEEP_FILE_PASSPHRASE": "the file's own one"})

    assert file_passphrase.passphrase_source(settings, confirm=True)() == "the file's own one"
    assert typed == []


def test_without_a_terminal_the_error_names_envkeep_file_passphrase() -> None:
    settings = load_settings({"ENVKEEP_PASSPHRASE": "unlocks the identity", "CI": "1"})

    with pytest.raises(UsageError, match="ENVKEEP_FILE_PASSPHRASE is not set") as refused:
        file_passphrase.passphrase_source(settings, confirm=False)()
    assert "ENVKEEP_PASSPHRASE is not used for files" in str(refused.value.hint)


def test_a_new_files_passphrase_may_not_be_envkeep_passphrases(typed: list[str]) -> None:
    same = {"ENVKEEP_PASSPHRASE": "typed for the file"}

    with pytest.raises(UsageError, match="is the one in ENVKEEP_PASSPHRASE"):
        file_passphrase.passphrase_source(load_settings(same), confirm=True)()
    given = {**same, "ENVKEEP_FILE_PASSPHRASE": "typed for the file"}
    with pytest.raises(UsageError, match="ENVKEEP_FILE_PASSPHRASE is the one in"):
        file_passphrase.passphrase_source(load_settings(given), confirm=True)()
    # A file an earlier envkeep encrypted with ENVKEEP_PASSPHRASE still opens.
    assert file_passphrase.passphrase_source(load_settings(given), confirm=False)() == (
        "typed for the file"
    )


# --- `reencrypt --new-passphrase`: the files' passphrase now, and the new one ------------------


@pytest.fixture
def changing(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """A terminal that answers the current passphrase, then the new one twice."""
    new = "the new passphrase"
    return _terminal(monkeypatch, ["the current passphrase", new, new])


def test_a_change_asks_each_passphrase_once_however_many_files_take_it(
    changing: list[str],
) -> None:
    old, new = file_passphrase.passphrase_change(load_settings({}))

    assert [old(), new(), old(), new()] == [
        "the current passphrase",
        "the new passphrase",
        "the current passphrase",
        "the new passphrase",
    ]
    assert changing == ["File passphrase: ", "New file passphrase: ", "Repeat it: "]


def test_a_change_takes_both_variables_without_asking(changing: list[str]) -> None:
    settings = load_settings(
        {"ENVKEEP_FILE_PASSPHRASE": "old one here", "ENVKEEP_NEW_FILE_PASSPHRASE": "new one here"}
    )
    old, new = file_passphrase.passphrase_change(settings)

    assert (old(), new()) == ("old one here", "new one here")
    assert changing == []


def test_a_new_passphrase_typed_differently_twice_is_refused(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _terminal(monkeypatch, ["the new passphrase", "the new passphrasE"])
    _old, new = file_passphrase.passphrase_change(load_settings({}))

    with pytest.raises(UsageError, match="the two passphrases differ; nothing was written"):
        new()


def test_a_new_passphrase_is_held_to_a_new_files_rules_with_no_other_key_offered() -> None:
    short = load_settings({"ENVKEEP_NEW_FILE_PASSPHRASE": "short"})
    mine = load_settings(
        {
            "ENVKEEP_NEW_FILE_PASSPHRASE": "unlocks the identity",
            "ENVKEEP_PASSPHRASE": "unlocks the identity",
        }
    )

    with pytest.raises(UsageError, match="ENVKEEP_NEW_FILE_PASSPHRASE has 5 characters") as few:
        file_passphrase.passphrase_change(short)[1]()
    with pytest.raises(UsageError, match="ENVKEEP_NEW_FILE_PASSPHRASE is the one in") as same:
        file_passphrase.passphrase_change(mine)[1]()
    assert few.value.hint == "choose a longer one (a few random words)"
    assert same.value.hint == "choose a passphrase for the file alone"


def test_without_a_terminal_a_change_names_both_variables() -> None:
    settings = load_settings({"ENVKEEP_FILE_PASSPHRASE": "old one here", "CI": "1"})

    with pytest.raises(UsageError, match="ENVKEEP_NEW_FILE_PASSPHRASE is not set") as refused:
        file_passphrase.passphrase_change(settings)[1]()
    assert refused.value.hint == (
        "set ENVKEEP_NEW_FILE_PASSPHRASE to the new passphrase and ENVKEEP_FILE_PASSPHRASE to"
        " the files' current one"
    )
