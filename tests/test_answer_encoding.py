"""An answer in an encoding the client did not ask for: the client asks for identity only, and
refuses an answer in brotli, zstd, gzip or any other encoding before reading its body, as no
envkeep server's answer (exit 5), whether or not a decoder for it is installed: none bounds
what one chunk inflates to (`client/answer_encoding`)."""

from __future__ import annotations

import gzip
import json
import subprocess
import sys
import time
from typing import TYPE_CHECKING

import pytest

from envkeep.client.answer_size import MIB
from envkeep.client.http import ApiClient
from envkeep.core.errors import NotAnEnvkeepRoute
from tests.hostile_server import Handler, reply, serving
from tests.server import ENVKEEP, _environ
from tests.test_answer_size import _MEASURED

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path


def _encoded_as(encoding: str, body: bytes) -> Callable[[Handler, bytes], None]:
    def answer(handler: Handler, _body: bytes) -> None:
        headers = [("Content-Type", "application/json"), ("Content-Encoding", encoding)]
        reply(handler, 200, headers, body)

    return answer


@pytest.mark.parametrize("encoding", ["br", "zstd", "gzip", "deflate", "identity, br"])
def test_an_answer_in_an_encoding_not_asked_for_is_refused(encoding: str) -> None:
    # The body is a valid answer as it stands: read as if unencoded, it would pass.
    with serving(_encoded_as(encoding, b"[]")) as (url, _seen):
        api = ApiClient(url)
        with pytest.raises(NotAnEnvkeepRoute) as refused:
            api.request("GET", "/v1/workspaces/w/projects")
        api.close()

    assert str(refused.value) == (
        f"{url}/v1/workspaces/w/projects answered in an encoding envkeep did not ask for"
        f" ({encoding}); it was not read"
    )
    assert refused.value.exit_code == 5
    assert "if a proxy in front of the server compresses answers" in str(refused.value.hint)


def test_an_unencoded_answer_is_read_and_the_client_asks_for_no_other() -> None:
    asked: list[str | None] = []

    def answer(handler: Handler, _body: bytes) -> None:
        asked.append(handler.headers.get("Accept-Encoding"))
        headers = [("Content-Type", "application/json"), ("Content-Encoding", "identity")]
        reply(handler, 200, headers, b'["shop"]')

    with serving(answer) as (url, _seen):
        api = ApiClient(url)
        got = api.request("GET", "/v1/workspaces/w/projects")
        api.close()

    assert got == ["shop"]
    assert asked == ["identity"]


def _brotli_headers_then_silence(handler: Handler, _body: bytes) -> None:
    handler.send_response(200)
    handler.send_header("Content-Type", "application/json")
    handler.send_header("Content-Encoding", "br")
    handler.send_header("Content-Length", str(MIB))
    handler.end_headers()
    handler.wfile.flush()
    time.sleep(40)  # past the read timeout: only a refusal on the headers is prompt


def test_an_encoded_answer_is_refused_on_its_headers_before_its_body_is_read() -> None:
    with serving(_brotli_headers_then_silence) as (url, _seen):
        api = ApiClient(url)
        started = time.monotonic()
        with pytest.raises(NotAnEnvkeepRoute):
            api.request("GET", "/v1/workspaces/w/projects")
        took = time.monotonic() - started
        api.close()

    assert took < 5


def test_a_gzip_bomb_to_the_cli_is_refused_with_memory_for_no_inflated_chunk(
    tmp_path: Path,
) -> None:
    # 64 MiB of JSON in about 64 KB: httpx's decoder would inflate each 64 KiB read whole.
    bomb = gzip.compress(b"[" + b" " * (64 * MIB) + b"]", compresslevel=9)
    with serving(_encoded_as("gzip", bomb)) as (url, seen):
        measured = subprocess.run(
            [sys.executable, "-c", _MEASURED, *ENVKEEP, "login", url, "--email", "a@b.io"],
            env=_environ(tmp_path / "home", ENVKEEP_PASSPHRASE="a passphrase"),
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=150,
            check=True,
        )
    done = json.loads(measured.stdout)

    assert done["code"] == 5, done["stderr"]
    assert f"{url}{seen[0][1]} answered in an encoding envkeep did not ask for" in done["stderr"]
    assert "Traceback" not in done["stderr"]
    # What envkeep imports (~42 MiB), no inflated chunk: decoded, this bomb peaked at 170 MiB.
    assert done["peak"] < 100 * MIB, done["peak"]
