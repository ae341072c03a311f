"""`encrypt -` reads the .env from stdin, as `decrypt -` does: `dotenvx decrypt -f F --stdout |
envkeep encrypt - -o F.enc` moves a file to envkeep with no plain text on disk. It answered
"- not found"."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .test_foreign_ciphertext_files import FILES

if TYPE_CHECKING:
    from pathlib import Path

    from .conftest import Envkeep

ORIGINAL = "# keep me\r\nTOKEN='s3cr3t'\nURL=postgres://db/${NAME}\n"


def _files(root: Path) -> set[str]:
    return {str(path.relative_to(root)) for path in root.rglob("*")}


def test_encrypt_from_stdin_writes_only_the_encrypted_file(envkeep: Envkeep, project: Path) -> None:
    before = _files(project)

    result = envkeep.ok("encrypt", "-", "-o", "app.env.enc", stdin=ORIGINAL)

    assert "wrote app.env.enc (encrypted to the key of environment 'dev')" in result.stderr
    assert _files(project) - before == {"app.env.enc"}
    assert "s3cr3t" not in (project / "app.env.enc").read_text(encoding="utf-8")
    assert envkeep.ok("decrypt", "app.env.enc", "-o", "-").stdout == ORIGINAL


def test_encrypt_from_stdin_without_output_prints_and_writes_nothing(
    envkeep: Envkeep, project: Path
) -> None:
    before = _files(project)

    printed = envkeep.ok("encrypt", "-", stdin=ORIGINAL)

    assert printed.stdout.startswith("# envkeep-encrypted:v2 ")
    assert "s3cr3t" not in printed.stdout
    assert _files(project) == before
    assert envkeep.ok("decrypt", "-", stdin=printed.stdout).stdout == ORIGINAL


def test_encrypt_from_stdin_over_its_file_keeps_unchanged_ciphertexts(
    envkeep: Envkeep, project: Path
) -> None:
    envkeep.ok("encrypt", "-", "-o", "app.env.enc", stdin=ORIGINAL)
    first = (project / "app.env.enc").read_text(encoding="utf-8")

    again = envkeep.ok("encrypt", "-", "-o", "app.env.enc", "--force", stdin=ORIGINAL)

    assert "values changed: none" in again.stderr
    assert (project / "app.env.enc").read_text(encoding="utf-8") == first


def test_another_tools_ciphertext_on_stdin_is_refused_with_the_pipe_to_use(
    envkeep: Envkeep, project: Path
) -> None:
    result = envkeep("encrypt", "-", "-o", "prod.env.enc", stdin=FILES["dotenvx"][0])

    assert result.code == 1, result.describe()
    assert not (project / "prod.env.enc").exists()
    assert "stdin is encrypted by dotenvx" in result.stderr
    assert (
        "pipe it in decrypted: dotenvx decrypt -f FILE --stdout | envkeep encrypt - -o FILE.enc"
        in result.stderr
    )
