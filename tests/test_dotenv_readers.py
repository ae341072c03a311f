"""Other programs read the dotenv files envkeep writes as envkeep means them.

Tricky values are rendered and read back by envkeep's parser (as a command gets them, and as
`import` stores them), by python-dotenv, by node's ``--env-file`` and by a shell that sources
the file. Which quoting each reader needs, and where they still differ (compose and dotenvx
were checked by hand: they are not installed here), is in `envkeep.core._dotenvquote`.
"""

from __future__ import annotations

import io
import json
import shutil
import subprocess
from typing import TYPE_CHECKING

import pytest
from dotenv import dotenv_values
from hypothesis import given, settings
from hypothesis import strategies as st

from envkeep.core.dotenv import parse_dotenv, render_dotenv
from envkeep.core.dotenv_readers import misread_by, misread_warnings
from envkeep.core.references import expand
from envkeep.integrations.importers import parse_import

if TYPE_CHECKING:
    from pathlib import Path

NODE = shutil.which("node")
BASH = shutil.which("bash")
needs_node = pytest.mark.skipif(NODE is None, reason="node is not installed")
needs_bash = pytest.mark.skipif(BASH is None, reason="bash is not installed")

# Values every dotenv reader checked, and a shell, read back exactly from the file envkeep
# writes, but python-dotenv the doubled backslash of `json` (its test).
AGREED = {
    "regex": "^\\d+$",
    "windows_path": "C:\\Users\\app",
    "windows_path_dollar": "C:\\$x",
    "backslash_n": "a\\nb",
    "backslash_quote": 'x\\"y',
    "json": '{"a":"x\\"y","p":"C:\\\\u"}',
    "dollar": "pa$word",
    "dollar_name": "$HOME",
    "dollars": "$$ $",
    "substitution": "$(id -un)",
    "backquotes": "`id -un`",
    "double_quotes": 'say "hi"',
    "apostrophe": "it's",
    "hash": "a #b",
    "leading_hash": "#x",
    "home_tilde": "~/.ssh/id",
    "tilde_after_colon": "/opt/bin:~/bin",
    "space": "a b",
    "leading_space": " lead",
    "trailing_space": "trail ",
    "unicode": "é ünï ✓",
    "tab": "t\tab",
    "empty": "",
    "newline": "-----BEGIN-----\nMIIab+/=\n-----END-----",
    "newline_and_quotes": 'l1\n"l2" \\d $X',
    "backslash_newline": "l1\\\nl2",
    # Unquoted: a shell drops its backslashes (SHELL_READS_OTHERWISE).
    "windows_dir": "C:\\temp\\",
    "trailing_backslash": "trail\\",
}
# A shell reads these otherwise: written unquoted with a trailing backslash, or double-quoted
# with `\n` or `\r` (`_dotenvquote`).
SHELL_READS_OTHERWISE = {
    "windows_dir", "trailing_backslash", "carriage_return", "apostrophe_newline",
}  # fmt: skip
# Values some readers read otherwise (python-dotenv: `\\` and `${`; node, npm's dotenv,
# dotenvx: double-quoted escapes); envkeep reads them exactly, and so does a shell but those
# above.
DISPUTED = {
    "reference": "${X}",
    "double_backslash": "a\\\\b",
    "quoted_trailing_backslash": "C:\\My Files\\",
    "apostrophe_and_quotes": 'it\'s a "test"',
    "apostrophe_and_dollar": "it's $5",
    "apostrophe_and_backslash": "it\\'s C:\\new",
    "apostrophe_and_backquote": "it's `id -un`",
    "carriage_return": "cr\r",
    "apostrophe_newline": "it's\nl2",
}
TRICKY = AGREED | DISPUTED
# Text made of what the quoting cares about, so that quotes, backslashes and `$` meet often.
tricky_texts = st.lists(
    st.sampled_from([*"\\\\$${}()\"'`\n\t #=aZ0é", "${X}", "C:\\U", "\\n"]), max_size=12
).map("".join)


def read_by_node(text: str, tmp_path: Path) -> dict[str, str]:
    """What a node program started with ``--env-file`` finds in ``process.env``."""
    assert NODE is not None
    env_file = tmp_path / "node.env"
    env_file.write_text(text, encoding="utf-8")
    shown = subprocess.run(
        [NODE, f"--env-file={env_file}", "-e", "process.stdout.write(JSON.stringify(process.env))"],
        capture_output=True,
        text=True,
        check=True,
        env={},
    ).stdout
    found: dict[str, str] = json.loads(shown)
    return found


def read_by_shell(text: str, names: list[str], tmp_path: Path) -> dict[str, str]:
    """What ``set -a; . .env`` sets ``names`` to (printed NUL-separated: any other character
    survives)."""
    assert BASH is not None
    env_file = tmp_path / "shell.env"
    env_file.write_text(text, encoding="utf-8")
    script = f'set -a; . "{env_file}"; ' + "; ".join(f'printf "%s\\0" "${name}"' for name in names)
    shown = subprocess.run(
        [BASH, "-c", script], capture_output=True, text=True, check=True, env={}, cwd=tmp_path
    ).stdout
    return dict(zip(names, shown.split("\0")[:-1], strict=True))


def written_for_node(name: str, value: str) -> bool:
    """Whether ``value`` is written unquoted, single-quoted, or double-quoted with no escape but
    ``\\n``, the one escape node decodes."""
    body = render_dotenv({name: value}).removeprefix(f"{name}=")
    return not body.startswith('"') or "\\" not in body.replace("\\n", "")


def rendered_tricky() -> str:
    return render_dotenv({f"V_{name}": value for name, value in TRICKY.items()})


@pytest.mark.parametrize(("name", "value"), TRICKY.items(), ids=list(TRICKY))
def test_envkeep_reads_every_tricky_value_back_exactly(name: str, value: str) -> None:
    assert parse_dotenv(rendered_tricky()).values[f"V_{name}"] == value


@pytest.mark.parametrize(("name", "value"), TRICKY.items(), ids=list(TRICKY))
def test_import_stores_every_tricky_value_as_text_that_resolves_to_itself(
    name: str, value: str
) -> None:
    stored = parse_import(rendered_tricky().encode(), fmt="dotenv", source="x.env").values
    expansion = expand(stored)

    assert expansion.errors == {}
    assert expansion.values[f"V_{name}"] == value


def test_python_dotenv_reads_every_agreed_value_exactly_but_a_doubled_backslash() -> None:
    """python-dotenv (``interpolate=False``: it would expand ``${X}``) reads a doubled
    backslash in single quotes as one (`_dotenvquote`): the one agreed value that holds one
    is read so; a change on either side shows here."""
    found = dotenv_values(stream=io.StringIO(rendered_tricky()), interpolate=False)
    read = {name: found.get(f"V_{name}") for name in AGREED}

    doubled = {name for name, value in AGREED.items() if "\\\\" in value}
    assert doubled == {"json"}
    assert {n: v for n, v in read.items() if n not in doubled} == {
        n: v for n, v in AGREED.items() if n not in doubled
    }
    assert read["json"] == AGREED["json"].replace("\\\\", "\\")


@needs_node
def test_node_env_file_reads_every_agreed_value_exactly(tmp_path: Path) -> None:
    found = read_by_node(rendered_tricky(), tmp_path)

    assert {name: found.get(f"V_{name}") for name in AGREED} == AGREED


@needs_bash
def test_a_shell_that_sources_the_file_reads_every_value_exactly_but_those_said_to(
    tmp_path: Path,
) -> None:
    """Multi-line values included: a PEM key written ``"…\\n…"`` came out on one line."""
    read_so = {name: v for name, v in TRICKY.items() if name not in SHELL_READS_OTHERWISE}
    names = [f"V_{name}" for name in TRICKY]

    found = read_by_shell(rendered_tricky(), names, tmp_path)

    assert {name: found[f"V_{name}"] for name in read_so} == read_so
    assert all(found[f"V_{name}"] != TRICKY[name] for name in SHELL_READS_OTHERWISE)


@needs_node
@settings(max_examples=25, deadline=None)
@given(st.lists(tricky_texts, min_size=1, max_size=6))
def test_node_reads_exactly_every_value_written_with_no_escape_but_newline(
    tmp_path_factory: pytest.TempPathFactory, texts: list[str]
) -> None:
    values = {f"V{i}": text for i, text in enumerate(texts)}
    agreed = {name: value for name, value in values.items() if written_for_node(name, value)}

    found = read_by_node(render_dotenv(values), tmp_path_factory.mktemp("node"))

    assert {name: found.get(name) for name in agreed} == agreed


def test_a_trailing_backslash_is_written_without_a_backslash_before_a_quote() -> None:
    """python-dotenv up to 1.2.2, npm's dotenv and dotenvx read ``\\"`` (``\\'`` in single
    quotes) as an escaped quote: the value ran on and the entries below it were lost."""
    values = {"WIN_DIR": "C:\\temp\\", "LOG_LEVEL": "info", "GREETING": "it's ok", "PORT": "8080"}

    text = render_dotenv(values)

    assert '\\"' not in text
    assert "\\'" not in text
    assert parse_dotenv(text).values == values
    assert dotenv_values(stream=io.StringIO(text), interpolate=False) == values


@needs_bash
def test_a_shell_drops_the_backslashes_of_an_unquoted_value_and_joins_no_line_to_it(
    tmp_path: Path,
) -> None:
    text = render_dotenv({"WIN_DIR": "C:\\temp\\", "NEXT": "kept"})

    found = read_by_shell(text, ["WIN_DIR", "NEXT"], tmp_path)

    assert found == {"WIN_DIR": "C:temp", "NEXT": "kept"}


def double_quoted(value: str) -> bool:
    return render_dotenv({"V": value}).startswith('V="')


def python_dotenv_caveat(value: str) -> bool:
    """Single-quoted with a doubled backslash, or holding ``${``: python-dotenv's alone."""
    return "${" in value or (not double_quoted(value) and "\\\\" in value)


def test_double_quoted_values_unquoted_backslashes_and_python_dotenvs_caveats_are_said() -> None:
    assert {name for name, value in TRICKY.items() if misread_by(value)} == {
        name for name, value in TRICKY.items() if double_quoted(value)
    } - {"apostrophe"} | {"windows_dir", "trailing_backslash"} | {
        name for name, value in TRICKY.items() if python_dotenv_caveat(value)
    }
    assert misread_by("${NOT_A_REFERENCE}") == ("python-dotenv",)
    assert misread_by("a\\\\b") == ("python-dotenv",)
    assert misread_by("abc def$HOME 'q' \"dq\" #notcomment") == (
        "node", "python-dotenv", "npm's dotenv", "dotenvx",
    )  # fmt: skip
    assert misread_by("C:\\temp\\") == ("a shell",)
    assert misread_by("-----BEGIN KEY-----\nabc\n-----END KEY-----") == ()


def _around(middle: str) -> st.SearchStrategy[str]:
    return st.tuples(tricky_texts, tricky_texts).map(lambda ends: ends[0] + middle + ends[1])


# A single quote (a newline beside it, as often) is what gets a value double quotes: made so,
# rather than found by filtering (most tricky texts are not, and Hypothesis gave up on too many
# discarded).
double_quoted_texts = st.one_of(_around("'"), _around("'\n"), _around("\n'")).filter(double_quoted)


def test_python_dotenv_as_services_load_it_misreads_exactly_the_values_said_to() -> None:
    """``load_dotenv()`` and ``dotenv_values()`` expand ``${X}`` by default (even in single
    quotes) and decode a doubled backslash in single quotes: each value it reads otherwise
    is said to be misread by it, and no other."""
    values = {f"V_{name}": value for name, value in TRICKY.items()}
    values |= {"V_PRICE": "cost $5 and ${NOTREF}", "V_PASS": 'p#ss w"rd$x\\\\y'}
    found = dotenv_values(stream=io.StringIO(render_dotenv(values)))

    for name, value in values.items():
        assert ("python-dotenv" in misread_by(value)) == (found.get(name) != value), (name, value)


@needs_node
@settings(max_examples=25, deadline=None)
@given(st.lists(double_quoted_texts, min_size=1, max_size=6))
def test_node_and_python_dotenv_misread_exactly_the_values_said_to(
    tmp_path_factory: pytest.TempPathFactory, texts: list[str]
) -> None:
    values = {f"V{i}": text for i, text in enumerate(texts)}
    values |= {f"T_{name}": v for name, v in TRICKY.items() if double_quoted(v)}
    text = render_dotenv(values)

    by_node = read_by_node(text, tmp_path_factory.mktemp("node"))
    by_python = dotenv_values(stream=io.StringIO(text))  # as services load it: `${` expanded

    for name, value in values.items():
        said = misread_by(value)
        assert ("node" in said) == (by_node.get(name) != value), (name, value)
        assert ("python-dotenv" in said) == (by_python.get(name) != value), (name, value)


@needs_bash
@settings(max_examples=25, deadline=None)
@given(st.lists(st.one_of(tricky_texts, _around("\r"), _around("'\n")), min_size=1, max_size=6))
def test_a_shell_misreads_exactly_the_values_said_to(
    tmp_path_factory: pytest.TempPathFactory, texts: list[str]
) -> None:
    values = {f"V{i}": text for i, text in enumerate(texts)}

    found = read_by_shell(render_dotenv(values), list(values), tmp_path_factory.mktemp("sh"))

    for name, value in values.items():
        assert ("a shell" in misread_by(value)) == (found[name] != value), (name, value)


@needs_bash
def test_names_a_shell_cannot_set_are_warned_of(tmp_path: Path) -> None:
    # A dotenv name may hold '-' and '.'; a shell sourcing the file runs such a line as a
    # command and goes on without the variable, as values it misreads, the export says so.
    entries = {"OK_NAME": "1", "my-dash": "2", "my.dotted": "3"}
    env_file = tmp_path / "names.env"
    env_file.write_text(render_dotenv(entries), encoding="utf-8")
    script = f'set -a; . "{env_file}"; env'
    shell = subprocess.run(
        [BASH or "bash", "-c", script], check=False, capture_output=True, text=True
    )
    assert "my-dash=2" not in shell.stdout  # what the warning is about

    warnings = misread_warnings(entries.items())

    said = (
        "a shell would not set my-dash, my.dotted: a shell variable's name holds only letters,"
        " digits and '_', so sourcing the file runs such a line as a command"
    )
    assert warnings == (said,)
