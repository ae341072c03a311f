"""A proxy variable that is not a URL (a mistyped port) is the user's to fix, named with its
variable, never with its text (it may hold the proxy's password): it was "unexpected
InvalidURL; this is a bug in envkeep"."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tests.server import cli

if TYPE_CHECKING:
    from pathlib import Path


def test_a_malformed_proxy_url_is_named_by_its_variable_without_its_password(
    tmp_path: Path,
) -> None:
    done = cli(
        tmp_path / "home",
        tmp_path,
        "login",
        "https://vault.example.io",
        "--email",
        "a@b.io",
        ENVKEEP_PASSPHRASE="a passphrase",
        HTTPS_PROXY="http://me:s3cretpw@proxy.corp:31x8",
        NO_PROXY="",
    )

    assert done.returncode != 0
    assert "HTTPS_PROXY is not a proxy URL" in done.stderr
    assert "this is a bug" not in done.stderr
    assert "s3cretpw" not in done.stdout + done.stderr
