"""An answer in an encoding the client did not ask for: the client asks for identity only, and
refuses an answer in brotli, zstd, gzip or any other encoding before reading its body, as no
envkeep server's answer (exit 5), whether or not a decoder for it is installed: none bounds
what one chunk inflates to (`client/answer_encoding`)."""

from __future__ import annotations

import gzip
import time
from typing import TYPE_CHECKING

import pytest

from envkeep.client.answer_size import MIB
from envkeep.client.api_client import ApiClient
from envkeep.core.errors import NotAnEnvkeepRoute
from tests.hostile_server import Handler, headers_then_stall, measured_login, reply, serving

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


_BROTLI_HEADERS_THEN_SILENCE = headers_then_stall(
    [
        ("Content-Type", "application/json"),
        ("Content-Encoding", "br"),
        ("Content-Length", str(MIB)),
    ]
)


def test_an_encoded_answer_is_refused_on_its_headers_before_its_body_is_read() -> None:
    with serving(_BROTLI_HEADERS_THEN_SILENCE) as (url, _seen):
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
        done = measured_login(url, tmp_path)

    assert done["code"] == 5, done["stderr"]
    assert f"{url}{seen[0][1]} answered in an encoding envkeep did not ask for" in done["stderr"]
    assert "Traceback" not in done["stderr"]
    # What envkeep imports (~42 MiB), no inflated chunk: decoded, this bomb peaked at 170 MiB.
    assert done["peak"] < 100 * MIB, done["peak"]
