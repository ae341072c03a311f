"""`encrypt`, `decrypt` and `schema init` with `-o -` print to stdout, as `export -o -` does:
never a file named `-` (a decrypted one would be a clear-text copy of the secrets left in the
checkout)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pathlib import Path

    from .conftest import Envkeep

ORIGINAL = b"# keep me\r\nTOKEN='s3cr3t'\nURL=postgres://db/${NAME}\n"


def test_decrypt_to_dash_prints_the_exact_original_and_writes_no_file(
    envkeep: Envkeep, project: Path
) -> None:
    (project / "app.env").write_bytes(ORIGINAL)
    envkeep.ok("encrypt", "app.env")

    printed = envkeep.ok("decrypt", "app.env.enc", "-o", "-")

    assert printed.stdout.encode() == ORIGINAL
    assert not (project / "-").exists()
    assert "wrote" not in printed.stderr


def test_encrypt_to_dash_prints_a_file_that_decrypts_to_the_original(
    envkeep: Envkeep, project: Path
) -> None:
    (project / "app.env").write_bytes(ORIGINAL)

    printed = envkeep.ok("encrypt", "app.env", "-o", "-")

    assert printed.stdout.startswith("# envkeep-encrypted:v2 ")
    assert "s3cr3t" not in printed.stdout
    assert not (project / "-").exists()
    (project / "piped.env.enc").write_bytes(printed.stdout.encode())
    assert envkeep.ok("decrypt", "piped.env.enc", "-o", "-").stdout.encode() == ORIGINAL


def test_schema_init_to_dash_prints_the_schema_and_writes_or_records_nothing(
    envkeep: Envkeep, project: Path
) -> None:
    envkeep.ok("set", "PORT=8080", "--env", "dev", "--service", "api")
    before = (project / "envkeep.toml").read_text(encoding="utf-8")

    printed = envkeep.ok("schema", "init", "--service", "api", "--env", "dev", "-o", "-")

    assert "# @required @type=int\nPORT=\n" in printed.stdout
    assert "8080" not in printed.stdout
    assert not (project / "-").exists()
    assert not list(project.rglob(".env.example"))
    assert (project / "envkeep.toml").read_text(encoding="utf-8") == before
    assert "wrote" not in printed.stderr
