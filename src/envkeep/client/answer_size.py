"""How much of a server's answer the client reads before it refuses it as no envkeep answer.

httpx reads a whole body into memory, however long it runs: a hostile server, or another
program at the URL, could stream gigabytes into a CLI (and a CI job's runner) until it ran out
of memory. Every answer is read in chunks here, and refused once past a bound, before the
memory is spent. The bounds are well above what an envkeep server answers (measured on a real
one): a snapshot or a history carries about 88 KB per 64 KiB value (its envelope in base64url,
its name's and its signature), so an environment of 10,000 such variables is about 880 MB;
every other answer (an audit page of 5,000 events is about 4 MB) is far below its bound.
The bound counts the decoded body: a small compressed answer that inflates past it is refused
as well.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

from envkeep.core.errors import NotAnEnvkeepRoute

if TYPE_CHECKING:
    from envkeep.client._httpx import httpx

MIB: Final = 1024 * 1024
# Any answer: lists, pages of the audit trail, a login's, a grant's.
MOST_BYTES: Final = 64 * MIB
# An answer that carries ciphertexts: a snapshot, a variable's history, the versions at a time.
MOST_VERSIONS_BYTES: Final = 1024 * MIB


def read_within(response: httpx.Response, most: int) -> bytes:
    """The body of ``response`` (sent with ``stream=True``), decoded; NotAnEnvkeepRoute as soon
    as it is known to pass ``most`` bytes (a Content-Length over it: before any is read)."""
    length = response.headers.get("content-length", "")
    if length.isdigit() and int(length) > most:
        raise too_large(response, most)
    chunks: list[bytes] = []
    read = 0
    for chunk in response.iter_bytes():
        read += len(chunk)
        if read > most:
            raise too_large(response, most)
        chunks.append(chunk)
    return b"".join(chunks)


def too_large(response: httpx.Response, most: int) -> NotAnEnvkeepRoute:
    """The refusal of an answer past ``most`` bytes, naming the bound and the URL."""
    url = response.request.url
    where = f"{url.scheme}://{url.netloc.decode()}{url.path}"
    return NotAnEnvkeepRoute(
        f"{where} answered with more than {most // MIB} MiB, more than any envkeep server's"
        " answer holds; it was not read",
        hint=(
            "check the server URL (envkeep login URL, ENVKEEP_SERVER, or server = in"
            " envkeep.toml); if it is right, the server is broken or not to be trusted:"
            " ask whoever runs it"
        ),
    )
