"""`-` is standard input to `encrypt` and `decrypt`, a type of its own; a real file named
`stdin` is a file like any other. Standard input travelled as the path "stdin": `decrypt -`
of a conflicted file told the user to `git checkout -m stdin`, a file of that name here."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pathlib import Path

    from .conftest import Envkeep


def _conflicted(encrypted: str) -> str:
    header, _, rest = encrypted.partition("\n")
    return f"{header}\n<<<<<<< HEAD\n{rest}=======\n>>>>>>> theirs\n"


def test_decrypt_of_conflicted_stdin_names_no_file_called_stdin(
    envkeep: Envkeep, project: Path
) -> None:
    (project / "stdin").write_text("A=1\n", encoding="utf-8")
    encrypted = envkeep.ok("encrypt", "-", stdin="TOKEN=s3cr3t\n").stdout

    result = envkeep("decrypt", "-", stdin=_conflicted(encrypted))

    assert result.code == 1, result.describe()
    assert "stdin: line 2: git merged this file line by line" in result.stderr
    assert "git checkout -m FILE" in result.stderr
    assert "git checkout -m stdin" not in result.stderr


def test_a_file_named_stdin_is_read_as_a_file_by_encrypt_decrypt_and_run_file(
    envkeep: Envkeep, project: Path, tmp_path: Path
) -> None:
    (project / "stdin").write_text("TOKEN=from-the-file\n", encoding="utf-8")
    seen = tmp_path / "seen"
    show = f"import os; open({str(seen)!r}, 'w').write(os.environ['TOKEN'])"

    envkeep.ok("encrypt", "stdin", stdin="TOKEN=piped\n")
    decrypted = envkeep.ok("decrypt", "stdin.enc", "-o", "-", stdin="TOKEN=piped\n")
    envkeep.ok("run", "-f", "stdin.enc", "--", sys.executable, "-c", show)
    piped = envkeep.ok("encrypt", "-", stdin="TOKEN=piped\n").stdout
    from_pipe = envkeep.ok("decrypt", "-", stdin=piped).stdout

    assert decrypted.stdout == "TOKEN=from-the-file\n"
    assert seen.read_text(encoding="utf-8") == "from-the-file"
    assert from_pipe == "TOKEN=piped\n"
    assert (project / "stdin").read_text(encoding="utf-8") == "TOKEN=from-the-file\n"
