"""How much of a server's answer the client reads before it refuses it as no envkeep answer.

httpx reads a whole body into memory, however long it runs: a hostile server, or another
program at the URL, could stream gigabytes into a CLI (and a CI job's runner) until it ran out
of memory. Every answer is read in chunks here, and refused once past a bound, before the
memory is spent. The bounds are well above what an envkeep server answers (measured on a real
one): a snapshot or a history carries about 88 KB per 64 KiB value (its envelope in base64url,
its name's and its signature), so an environment of 10,000 such variables is about 880 MB;
every other answer (an audit page of 5,000 events is about 4 MB) is far below its bound.
An answer in a compressed encoding is refused before this reads it (`answer_encoding`): no
decoder would bound what one chunk inflates to.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

from envkeep.core.errors import NotAnEnvkeepRoute, UnreachableError

if TYPE_CHECKING:
    from envkeep.client._httpx import httpx

MIB: Final = 1024 * 1024
# Any answer: lists, pages of the audit trail, a login's, a grant's.
MOST_BYTES: Final = 64 * MIB
# An answer that carries ciphertexts: a snapshot, a variable's history, the versions at a time.
MOST_VERSIONS_BYTES: Final = 1024 * MIB
# The read timeout is per network read: a server sending a byte every few seconds never trips
# it, and would hold a command for as long as it liked. Past its first minute, a body must come
# at least this fast on average: a slow honest link (a congested mobile one, 16-32 KiB/s)
# passes, while a drip is cut off in minutes. Such an answer is a server out of reach, not a
# hostile one: a read falls back on its kept copy, as when the server cannot be reached.
GRACE_SECONDS: Final = 60.0
SLOWEST_BYTES_A_SECOND: Final = 4 * 1024


def read_within(response: httpx.Response, most: int, *, grace: float = GRACE_SECONDS) -> bytes:
    """The body of ``response`` (sent with ``stream=True``); NotAnEnvkeepRoute as soon
    as it is known to pass ``most`` bytes (a Content-Length over it: before any is read);
    UnreachableError when, ``grace`` seconds into it, it has come slower than
    ``SLOWEST_BYTES_A_SECOND``."""
    import time

    length = response.headers.get("content-length", "")
    if length.isdigit() and int(length) > most:
        raise too_large(response, most)
    chunks: list[bytes] = []
    read = 0
    started = time.monotonic()
    for chunk in response.iter_bytes():
        read += len(chunk)
        if read > most:
            raise too_large(response, most)
        late = time.monotonic() - started - grace
        if late > 0 and read < late * SLOWEST_BYTES_A_SECOND:
            raise too_slow(response, read)
        chunks.append(chunk)
    return b"".join(chunks)


def too_large(response: httpx.Response, most: int) -> NotAnEnvkeepRoute:
    """The refusal of an answer past ``most`` bytes, naming the bound and the URL."""
    where = answered_at(response)
    return NotAnEnvkeepRoute(
        f"{where} answered with more than {most // MIB} MiB, more than any envkeep server's"
        " answer holds; it was not read",
        hint=(
            "check the server URL (envkeep login URL, ENVKEEP_SERVER, or server = in"
            " envkeep.toml); if it is right, the server is broken or not to be trusted:"
            " ask whoever runs it"
        ),
    )


def too_slow(response: httpx.Response, read: int) -> UnreachableError:
    """The refusal of an answer that trickles in (``read`` bytes so far)."""
    where = answered_at(response)
    return UnreachableError(
        f"{where} sent its answer slower than {SLOWEST_BYTES_A_SECOND // 1024} KiB/s"
        f" ({read:,} bytes so far); it was not read",
        hint="check the network, then run the command again",
    )


def answered_at(response: httpx.Response) -> str:
    """Where ``response`` came from, as ``scheme://host/path`` (its query left out)."""
    url = response.request.url
    return f"{url.scheme}://{url.netloc.decode()}{url.path}"
