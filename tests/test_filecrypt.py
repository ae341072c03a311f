"""Tests for encrypted dotenv files: the span-aware scanner, exact round trips, tamper detection."""

from __future__ import annotations

import os
import re
from typing import TYPE_CHECKING

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from envkeep import crypto
from envkeep.client.filecrypt import (
    HEADER_PREFIX,
    FileEnvironment,
    FileKey,
    decrypt_dotenv,
    decrypt_values,
    encrypt_dotenv,
    environment_key,
    file_environment,
    is_encrypted,
    passphrase_key,
    passphrase_key_for_header,
    read_header,
)
from envkeep.core.dotenv import NAME_PATTERN, ParsedDotenv, RawEntry, parse_dotenv, scan_dotenv
from envkeep.core.errors import (
    CryptoError,
    EnvkeepError,
    IntegrityError,
    ParseError,
    UsageError,
    WrongPassphrase,
)

if TYPE_CHECKING:
    from pathlib import Path

PASSPHRASE = "correct horse battery staple"
SECRETS = ("hunter2-s3cr3t", "sk-live-0123456789", "line one", "line two", "final-value")
SAMPLE = (
    "# app settings\n"  # line 2 once encrypted (the header is line 1)
    "export DB_URL=postgres://app:hunter2-s3cr3t@db/app\n"  # 3
    "API_KEY = 'sk-live-0123456789'\n"  # 4
    'MULTI="line one\nline two"# two lines\n'  # 5 (the ciphertext fits on one line)
    "\n"  # 6
    "EMPTY=\n"  # 7
    "LAST=final-value"  # 8, no final newline
)
TOKEN_RE = re.compile(r"enc:v1:[A-Za-z0-9_-]+")
BASE64URL = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"


@pytest.fixture(scope="module")
def pass_key() -> FileKey:
    """A passphrase key, derived once: Argon2id at the floor costs ~0.2 s."""
    return passphrase_key(PASSPHRASE)


@pytest.fixture
def env_key() -> FileKey:
    return environment_key(os.urandom(32), env_id="env-1234", key_version=3, label="prod")


def random_env_key() -> FileKey:
    return environment_key(os.urandom(32), env_id="env-1234", key_version=3, label="prod")


def failure(text: str, key: bytes, error: type[EnvkeepError] = IntegrityError) -> EnvkeepError:
    """Decrypt expecting ``error``; check that neither its message nor its hint shows a value."""
    with pytest.raises(error) as caught:
        decrypt_dotenv(text, key, source=".env.enc")
    for secret in SECRETS:
        assert secret not in f"{caught.value} {caught.value.hint}"
    return caught.value


def entry_named(text: str, name: str) -> RawEntry:
    return next(entry for entry in scan_dotenv(text) if entry.name == name)


def raw(text: str, entry: RawEntry) -> str:
    return text[entry.value_start : entry.value_end]


# --- strategies ----------------------------------------------------------------------------

MARK = "µ"  # in every generated value and nowhere else: finding it in ciphertext is a leak
names = st.from_regex(NAME_PATTERN, fullmatch=True)
spaces = st.sampled_from(["", " ", "  ", "\t"])
newlines = st.sampled_from(["\n", "\r\n"])


def chars(exclude: str) -> st.SearchStrategy[str]:
    alphabet = st.characters(exclude_categories=["Cs"], exclude_characters="\x00" + MARK + exclude)
    return st.text(alphabet, max_size=12)


unquoted = chars("\n").map(lambda rest: MARK + rest)
single_quoted = st.tuples(chars("'"), chars("'")).map(lambda ab: f"'{ab[0]}{MARK}{ab[1]}'")
double_quoted_piece = st.one_of(chars('"\\'), st.sampled_from([r"\n", r"\"", "\\\\", r"\x", r"\$"]))
double_quoted = st.tuples(st.lists(double_quoted_piece, max_size=4), chars('"\\')).map(
    lambda parts: '"' + "".join(parts[0]) + MARK + parts[1] + '"'
)
comment_text = chars("\n")


@st.composite
def entry_lines(draw: st.DrawFn) -> str:
    """One NAME=value line (maybe several, for a quoted value) in a random style."""
    raw_value = draw(st.one_of(unquoted, single_quoted, double_quoted))
    trailing = draw(spaces)
    if draw(st.booleans()):  # a comment; after a quote it may follow without a space
        gap = " " if not raw_value.startswith(("'", '"')) else draw(spaces)
        trailing = f"{trailing}{gap}#{draw(comment_text)}"
    export = draw(st.sampled_from(["", "export ", "export\t"]))
    name = draw(names)
    return f"{draw(spaces)}{export}{name}{draw(spaces)}={draw(spaces)}{raw_value}{trailing}"


other_lines = st.one_of(spaces, st.tuples(spaces, comment_text).map(lambda sc: f"{sc[0]}#{sc[1]}"))


@st.composite
def dotenv_files(draw: st.DrawFn) -> str:
    """Dotenv text that parses: entries, comments, blank lines, CRLF, BOM, maybe no final EOL."""
    lines = draw(st.lists(st.one_of(entry_lines(), other_lines), max_size=8))
    text = "".join(line + draw(newlines) for line in lines)
    no_final_newline = draw(st.booleans())
    if lines and no_final_newline:
        text = text.removesuffix("\n").removesuffix("\r")
    return ("\ufeff" if draw(st.booleans()) else "") + text


# Arbitrary text biased towards the grammar's characters and line starts (about a third parses).
dotenv_like_text = st.lists(
    st.sampled_from(
        [*"x1 \t\r\n=#'\"\\$.-", "\nA=", "\nB = ", "\nexport C=", "\n# c", "\r\nD=", "\ufeff", "é"]
    )
).map("".join)


# --- scan_dotenv ---------------------------------------------------------------------------


def test_scan_gives_each_raw_value_as_written_with_its_quotes() -> None:
    text = "A=1\nB = 'x y' # c\nexport C=\"a\nb\"\nD=  spaced out  # note\nE=#not-a-comment\n"
    assert [raw(text, entry) for entry in scan_dotenv(text)] == [
        "1",
        "'x y'",
        '"a\nb"',
        "spaced out",
        "#not-a-comment",
    ]


def test_scan_offsets_index_the_original_text_with_bom_and_crlf() -> None:
    text = "\ufeffA=1\r\nB='x\r\ny'\r\nC=3\r\n"
    assert [raw(text, entry) for entry in scan_dotenv(text)] == ["1", "'x\r\ny'", "3"]
    assert [entry.value for entry in scan_dotenv(text)] == ["1", "x\ny", "3"]


def test_scan_gives_an_empty_value_an_empty_span_before_any_comment() -> None:
    text = "A=\nB=   # note\nC= \t"
    entries = scan_dotenv(text)
    assert [entry.value_start == entry.value_end for entry in entries] == [True, True, True]
    assert [entry.value_start for entry in entries] == [2, 7, 19]  # after "=" and spaces


def test_raw_entry_repr_does_not_show_the_value() -> None:
    (entry,) = scan_dotenv("A=hunter2-s3cr3t\n")
    assert "hunter2" not in repr(entry)
    assert entry.value == "hunter2-s3cr3t"


def test_scan_raises_the_same_parse_error_as_parse_dotenv() -> None:
    with pytest.raises(ParseError, match=r"^app\.env:2: unterminated double quote"):
        scan_dotenv('A=1\nB="open\n', source="app.env")


def parse_outcome(text: str) -> ParsedDotenv | tuple[str, int | None]:
    """What parse_dotenv makes of ``text``: its result, or its error's message and line."""
    try:
        return parse_dotenv(text)
    except ParseError as error:
        return str(error), error.line


def assert_scan_agrees_with_parse(text: str) -> None:
    parsed = parse_outcome(text)
    if not isinstance(parsed, ParsedDotenv):
        with pytest.raises(ParseError) as caught:
            scan_dotenv(text)
        assert (str(caught.value), caught.value.line) == parsed
        return
    scanned = scan_dotenv(text)
    assert [(e.name, e.value, e.line) for e in scanned] == [
        (e.name, e.value, e.line) for e in parsed.entries
    ]
    for entry in scanned:  # the span alone, after a fresh '=', reads back as the same value
        assert parse_dotenv(f"X={raw(text, entry)}").values == {"X": entry.value}


@settings(max_examples=300, deadline=None)
@given(dotenv_like_text)
def test_scan_agrees_with_parse_on_dotenv_like_text(text: str) -> None:
    assert_scan_agrees_with_parse(text)


@settings(max_examples=200, deadline=None)
@given(st.one_of(st.text(), dotenv_files()))
def test_scan_agrees_with_parse_on_arbitrary_and_generated_files(text: str) -> None:
    assert_scan_agrees_with_parse(text)


# --- keys and headers ----------------------------------------------------------------------


def test_environment_key_is_hkdf_of_the_data_key_bound_to_the_environment_id() -> None:
    dek = os.urandom(32)
    key = environment_key(dek, env_id="env-1234", key_version=3, label="prod")
    expected = crypto.hkdf_sha256(dek, salt=None, info=b"envkeep/v1/file|env-1234", length=32)
    assert key.key == expected
    assert key.header == f"{HEADER_PREFIX} env=prod env_id=env-1234 key_version=3"
    other = environment_key(dek, env_id="env-5678", key_version=3, label="prod")
    assert other.key != key.key


def test_file_key_repr_and_str_hide_the_key(env_key: FileKey) -> None:
    for shown in (repr(env_key), str(env_key)):
        assert env_key.key.hex() not in shown
        assert repr(env_key.key) not in shown
        assert "<redacted>" in shown


@pytest.mark.parametrize(("label", "env_id"), [("my env", "e1"), ("prod", "a=b"), ("", "e1")])
def test_environment_key_rejects_labels_and_ids_the_header_cannot_hold(
    label: str, env_id: str
) -> None:
    with pytest.raises(UsageError, match="without spaces or '='"):
        environment_key(os.urandom(32), env_id=env_id, key_version=1, label=label)


def test_environment_key_rejects_a_data_key_of_the_wrong_size() -> None:
    with pytest.raises(CryptoError, match="32 bytes"):
        environment_key(os.urandom(16), env_id="e1", key_version=1, label="prod")


def test_passphrase_key_refuses_argon2id_below_the_floor() -> None:
    with pytest.raises(CryptoError, match="refusing weak Argon2id"):
        passphrase_key(PASSPHRASE, params=crypto.KdfParams(memory_kib=1024))


def test_passphrase_header_records_salt_and_costs_but_no_secret(pass_key: FileKey) -> None:
    fields = read_header(encrypt_dotenv("A=1\n", pass_key))
    assert fields is not None
    assert list(fields) == ["kdf", "salt", "m", "t", "p", "check", "mac"]
    assert (fields["kdf"], fields["m"], fields["t"], fields["p"]) == ("argon2id", "65536", "3", "4")
    assert PASSPHRASE not in pass_key.header
    assert pass_key.key.hex() not in pass_key.header


def test_passphrase_key_for_header_derives_the_same_key(pass_key: FileKey) -> None:
    fields = read_header(encrypt_dotenv("A=1\n", pass_key))
    assert fields is not None
    assert passphrase_key_for_header(fields, PASSPHRASE).key == pass_key.key


def test_a_header_asking_for_huge_argon2id_costs_is_refused_before_deriving() -> None:
    fields = {"kdf": "argon2id", "salt": "AAAAAAAAAAAAAAAAAAAAAA", "m": "99999999", "t": "3"}
    with pytest.raises(CryptoError, match="unreasonably costly"):
        passphrase_key_for_header({**fields, "p": "4"}, PASSPHRASE)


def test_file_environment_names_the_environment_and_key_version(env_key: FileKey) -> None:
    fields = read_header(encrypt_dotenv("A=1\n", env_key))
    assert fields is not None
    assert file_environment(fields) == FileEnvironment("prod", "env-1234", 3)
    with pytest.raises(UsageError, match="environment key, not a passphrase"):
        passphrase_key_for_header(fields, PASSPHRASE)


def test_file_environment_of_a_passphrase_file_is_a_usage_error(pass_key: FileKey) -> None:
    fields = read_header(encrypt_dotenv("A=1\n", pass_key))
    assert fields is not None
    with pytest.raises(UsageError, match="encrypted with a passphrase") as caught:
        file_environment(fields)
    assert caught.value.hint == "decrypt it with --passphrase"


def test_read_header_and_is_encrypted_on_plain_text() -> None:
    assert read_header(SAMPLE) is None
    assert not is_encrypted(SAMPLE)
    assert not is_encrypted("")


def test_a_header_from_another_format_version_asks_for_an_upgrade(env_key: FileKey) -> None:
    future = encrypt_dotenv("A=1\n", env_key).replace(":v2 ", ":v3 ", 1)
    assert is_encrypted(future)
    error = failure(future, env_key.key)
    assert error.hint is not None
    assert "upgrade envkeep" in error.hint


@pytest.mark.parametrize(
    "edit",
    [
        lambda h: h.replace(" env_id=", " envid="),  # a required field missing
        lambda h: h.replace(" mac=", "  mac="),  # not single-spaced
        lambda h: h.replace(" mac=", " check=x mac="),  # a field twice
        lambda h: re.sub(r" check=\S+", "", h),  # no check
        lambda h: re.sub(r"( check=\S+)( mac=\S+)", r"\2\1", h),  # tags out of order
        lambda h: h.replace(" key_version=3", " key_version=03"),
    ],
)
def test_a_malformed_header_is_an_integrity_error(env_key: FileKey, edit: object) -> None:
    assert callable(edit)
    header, newline, body = encrypt_dotenv(SAMPLE, env_key).partition("\n")
    error = failure(edit(header) + newline + body, env_key.key)
    assert "header" in str(error)


# --- round trips ---------------------------------------------------------------------------


def test_sample_round_trips_and_keeps_layout_names_and_comments(env_key: FileKey) -> None:
    encrypted = encrypt_dotenv(SAMPLE, env_key)
    assert decrypt_dotenv(encrypted, env_key.key) == SAMPLE
    header, _, body = encrypted.partition("\n")
    assert header.startswith(env_key.header + " check=")
    assert TOKEN_RE.sub("V", body) == (
        "# app settings\nexport DB_URL=V\nAPI_KEY = 'V'\nMULTI=\"V\"# two lines\n\nEMPTY=V\nLAST=V"
    )
    for secret in SECRETS:
        assert secret not in encrypted


def test_decrypt_values_gives_what_parse_dotenv_reads_from_the_original(env_key: FileKey) -> None:
    encrypted = encrypt_dotenv(SAMPLE, env_key)
    assert decrypt_values(encrypted, env_key.key) == parse_dotenv(SAMPLE).values
    assert decrypt_values(encrypted, env_key.key)["MULTI"] == "line one\nline two"


def test_passphrase_mode_round_trips(pass_key: FileKey) -> None:
    encrypted = encrypt_dotenv(SAMPLE, pass_key)
    assert decrypt_dotenv(encrypted, pass_key.key) == SAMPLE


def test_each_encryption_uses_fresh_nonces(env_key: FileKey) -> None:
    assert encrypt_dotenv(SAMPLE, env_key) != encrypt_dotenv(SAMPLE, env_key)


def test_bytes_on_disk_round_trip_exactly_with_crlf_bom_and_utf8(
    env_key: FileKey, tmp_path: Path
) -> None:
    original = "\ufeff# réglages\r\nA='x\r\ny'\r\nB=žluť  # c\r\n\r\nC=\"3\"".encode()
    plain, sealed, restored = tmp_path / ".env", tmp_path / ".env.enc", tmp_path / "out.env"
    plain.write_bytes(original)
    sealed.write_bytes(encrypt_dotenv(plain.read_bytes().decode(), env_key).encode())
    assert sealed.read_bytes().startswith(b"\xef\xbb\xbf# envkeep-encrypted:v2 ")
    header_line = sealed.read_bytes().split(b"\n")[0]
    assert header_line.endswith(b"\r")  # the header follows the file's CRLF line endings
    restored.write_bytes(decrypt_dotenv(sealed.read_bytes().decode(), env_key.key).encode())
    assert restored.read_bytes() == original


def test_an_empty_file_round_trips(env_key: FileKey) -> None:
    encrypted = encrypt_dotenv("", env_key)
    assert encrypted.count("\n") == 1
    assert decrypt_dotenv(encrypted, env_key.key) == ""


@settings(max_examples=200, deadline=None)
@given(dotenv_files())
def test_generated_files_round_trip_exactly_and_hide_every_value(text: str) -> None:
    key = random_env_key()
    encrypted = encrypt_dotenv(text, key)
    assert decrypt_dotenv(encrypted, key.key).encode() == text.encode()
    assert MARK not in encrypted
    original = parse_dotenv(text)
    for entry in original.entries:
        assert len(entry.value) < 4 or entry.value not in encrypted
    reparsed = parse_dotenv(encrypted)
    assert [e.name for e in reparsed.entries] == [e.name for e in original.entries]
    assert all(TOKEN_RE.fullmatch(e.value) for e in reparsed.entries)
    assert decrypt_values(encrypted, key.key) == original.values


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.text(), dotenv_like_text))
def test_arbitrary_text_round_trips_or_fails_with_the_parsers_error(text: str) -> None:
    key = random_env_key()
    if is_encrypted(text):  # a first line like "# envkeep-encrypted:…": refused as such
        with pytest.raises(UsageError, match="is already encrypted"):
            encrypt_dotenv(text, key)
        return
    parsed = parse_outcome(text)
    if not isinstance(parsed, ParsedDotenv):
        with pytest.raises(ParseError) as caught:
            encrypt_dotenv(text, key)
        assert (str(caught.value), caught.value.line) == parsed
        return
    encrypted = encrypt_dotenv(text, key)
    assert decrypt_dotenv(encrypted, key.key) == text
    assert [e.name for e in parse_dotenv(encrypted).entries] == [e.name for e in parsed.entries]


# --- usage errors --------------------------------------------------------------------------


def test_encrypting_an_encrypted_file_is_a_usage_error(env_key: FileKey) -> None:
    encrypted = encrypt_dotenv(SAMPLE, env_key)
    with pytest.raises(UsageError, match=r"^\.env\.enc is already encrypted$"):
        encrypt_dotenv(encrypted, env_key, source=".env.enc")


def test_decrypting_a_file_without_a_header_is_a_usage_error(env_key: FileKey) -> None:
    error = failure(SAMPLE, env_key.key, UsageError)
    assert "not an envkeep-encrypted file" in str(error)


def test_encrypting_invalid_dotenv_is_the_parsers_error_with_its_line(env_key: FileKey) -> None:
    with pytest.raises(ParseError) as caught:
        encrypt_dotenv("A=1\nnot a line\n", env_key, source=".env")
    assert caught.value.line == 2
    assert str(caught.value).startswith(".env:2: ")


def test_decrypting_a_body_that_no_longer_parses_is_a_parse_error(env_key: FileKey) -> None:
    encrypted = encrypt_dotenv(SAMPLE, env_key) + "\nnot a line"
    error = failure(encrypted, env_key.key, ParseError)
    assert isinstance(error, ParseError)
    assert error.line == 9


# --- tampering -----------------------------------------------------------------------------


@settings(max_examples=60, deadline=None)
@given(st.data())
def test_changing_any_character_of_any_ciphertext_fails_naming_its_line(
    data: st.DataObject,
) -> None:
    key = random_env_key()
    encrypted = encrypt_dotenv(SAMPLE, key)
    entry = data.draw(st.sampled_from(scan_dotenv(encrypted)))
    token = TOKEN_RE.search(encrypted, entry.value_start)
    assert token is not None
    position = data.draw(st.integers(token.start() + len("enc:v1:"), token.end() - 1))
    char = data.draw(st.sampled_from(BASE64URL.replace(encrypted[position], "")))
    tampered = encrypted[:position] + char + encrypted[position + 1 :]
    error = failure(tampered, key.key)
    assert f".env.enc: line {entry.line}: " in str(error)
    assert repr(entry.name) in str(error)


def test_swapping_two_values_between_names_fails_at_the_first(env_key: FileKey) -> None:
    encrypted = encrypt_dotenv(SAMPLE, env_key)
    db, api = entry_named(encrypted, "DB_URL"), entry_named(encrypted, "API_KEY")
    db_token, api_token = raw(encrypted, db), raw(encrypted, api).strip("'")
    swapped = encrypted.replace(db_token, "@").replace(api_token, db_token).replace("@", api_token)
    assert str(failure(swapped, env_key.key)).startswith(".env.enc: line 3: ")


def test_swapping_names_with_equal_positions_is_detected(env_key: FileKey) -> None:
    encrypted = encrypt_dotenv("A=one1\nB=two2\n", env_key)
    swapped = encrypted.replace("\nA=", "\nTMP=").replace("\nB=", "\nA=").replace("\nTMP=", "\nB=")
    assert "line 2: the encrypted value of 'B'" in str(failure(swapped, env_key.key))


def test_moving_a_line_is_detected_by_the_file_mac(env_key: FileKey) -> None:
    # Each value opens where it now stands (its AAD binds its name, not its position): the mac,
    # over the whole file, is what binds the order.
    lines = encrypt_dotenv(SAMPLE, env_key).split("\n")
    moved = [lines[0], lines[1], lines[7] + "\n" + lines[2], *lines[3:7]]  # LAST up to line 3
    assert "changed outside its values" in str(failure("\n".join(moved), env_key.key))


def test_deleting_an_entry_is_detected_by_the_file_mac(env_key: FileKey) -> None:
    encrypted = encrypt_dotenv(SAMPLE, env_key)
    without_empty = re.sub(r"\nEMPTY=\S+", "", encrypted)
    assert "changed outside its values" in str(failure(without_empty, env_key.key))


def test_deleting_the_last_entry_is_detected_by_the_file_mac(env_key: FileKey) -> None:
    encrypted = encrypt_dotenv(SAMPLE, env_key)
    truncated = encrypted[: encrypted.rindex("\n")]
    assert "changed outside its values" in str(failure(truncated, env_key.key))


@pytest.mark.parametrize(
    "edit",
    [
        lambda t: t.replace("# app settings", "# app settings!"),  # a comment edited
        lambda t: t.replace("\n\n", "\n"),  # a blank line removed
        lambda t: t + "\n",  # a final newline added
        lambda t: "\ufeff" + t,  # a byte order mark added
        lambda t: t.replace("export DB_URL", "DB_URL"),  # `export` removed
        lambda t: t.replace("API_KEY = '", "API_KEY='"),  # spacing changed
        lambda t: t.replace("\nEMPTY=", "\n# extra\nEMPTY="),  # a comment added
    ],
)
def test_any_edit_outside_the_values_is_detected_by_the_file_mac(
    env_key: FileKey, edit: object
) -> None:
    assert callable(edit)
    tampered = edit(encrypt_dotenv(SAMPLE, env_key))
    assert "changed outside its values" in str(failure(tampered, env_key.key))


@pytest.mark.parametrize("crlf", [False, True], ids=["lf-made-crlf", "crlf-made-lf"])
def test_line_endings_changed_as_git_does_are_refused_saying_so(
    env_key: FileKey, crlf: bool
) -> None:
    # core.autocrlf converts every line of a checked-out file; "restore the file from version
    # control" would convert it again, so the error says what to mark in .gitattributes. A file
    # encrypted with CRLF was made LF as git committed it: only its encrypter's clone has it.
    plain = "# app\nDB_URL=postgres://db\nAPI_KEY='k 1'\n"
    encrypted = encrypt_dotenv(plain.replace("\n", "\r\n") if crlf else plain, env_key)
    converted = encrypted.replace("\r\n", "\n") if crlf else encrypted.replace("\n", "\r\n")
    error = failure(converted, env_key.key)
    assert isinstance(error, IntegrityError)
    assert "line endings were changed since it was encrypted" in str(error)
    assert "-text" in (error.hint or "")
    if crlf:  # converted as git committed it: the commit holds it so, a checkout changes nothing
        assert "(CRLF made LF, as git does when it commits the file" in str(error)
        assert "git add --renormalize .env.enc and commit it" in (error.hint or "")
        assert "git checkout" not in (error.hint or "")
    else:  # converted as git checked it out: a checkout of the -text file restores it
        assert "git checkout .env.enc" in (error.hint or "")


def test_adding_a_plain_entry_is_detected_naming_its_line(env_key: FileKey) -> None:
    encrypted = encrypt_dotenv(SAMPLE, env_key) + "\nINJECTED=1"
    assert "line 9: the value of 'INJECTED' is not encrypted" in str(
        failure(encrypted, env_key.key)
    )


def test_changing_the_mac_is_detected(env_key: FileKey) -> None:
    encrypted = encrypt_dotenv(SAMPLE, env_key)
    mac = re.search(r" mac=(\S)", encrypted)
    assert mac is not None
    other = "A" if mac.group(1) != "A" else "B"
    tampered = encrypted[: mac.start(1)] + other + encrypted[mac.start(1) + 1 :]
    assert "changed outside its values" in str(failure(tampered, env_key.key))


def test_changing_the_environment_label_in_the_header_is_detected(env_key: FileKey) -> None:
    relabelled = encrypt_dotenv(SAMPLE, env_key).replace(" env=prod ", " env=staging ", 1)
    assert "or its header was changed" in str(failure(relabelled, env_key.key))


def test_a_wrong_environment_key_is_reported_as_such(env_key: FileKey) -> None:
    encrypted = encrypt_dotenv(SAMPLE, env_key)
    error = failure(encrypted, random_env_key().key)
    assert "not encrypted with the key of environment 'prod' (key version 3)" in str(error)


def test_a_wrong_passphrase_is_reported_as_such(pass_key: FileKey) -> None:
    encrypted = encrypt_dotenv(SAMPLE, pass_key)
    fields = read_header(encrypted)
    assert fields is not None
    wrong = passphrase_key_for_header(fields, PASSPHRASE + "!")
    error = failure(encrypted, wrong.key, WrongPassphrase)
    assert "wrong passphrase" in str(error)
    assert PASSPHRASE not in f"{error} {error.hint}"


def test_changing_the_argon2id_costs_in_the_header_is_detected(pass_key: FileKey) -> None:
    tampered = encrypt_dotenv(SAMPLE, pass_key).replace(" m=65536 ", " m=131072 ", 1)
    failure(tampered, pass_key.key, WrongPassphrase)


def test_a_file_encrypted_for_another_key_version_fails_on_its_values() -> None:
    dek = os.urandom(32)
    old = environment_key(dek, env_id="env-1234", key_version=3, label="prod")
    new = environment_key(dek, env_id="env-1234", key_version=4, label="prod")
    encrypted = encrypt_dotenv("A=some-value\n", old)
    body = encrypted.partition("\n")[2]
    # A header re-made for version 4 (valid check, under the same key) over version-3 values.
    forged = encrypt_dotenv("", new).removesuffix("\n").partition(" mac=")[0]
    error = failure(f"{forged} mac=AAAA\n{body}", new.key)
    assert "line 2: the encrypted value of 'A'" in str(error)
