"""Which encodings of an answer's body the client takes: none (identity).

httpx asks for ``gzip, deflate`` by default, and for ``br`` and ``zstd`` too when the
``brotli`` or ``zstandard`` package happens to be installed, and decodes whatever encoding an
answer names, even one never asked for. Its decoders bound nothing: one 64 KiB network chunk
of gzip inflates to about 64 MiB (and of brotli or zstd, to gigabytes) before
``answer_size.read_within`` can count it. An envkeep server compresses nothing, whatever is
asked (measured: the same bytes for ``gzip, deflate`` as for ``identity``), so asking for gzip
gained nothing but a proxy's compression; the client asks for the body as it is, and refuses
an answer in any other encoding before reading it, as no envkeep server's answer.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

from envkeep.client.answer_size import answered_at
from envkeep.core.errors import NotAnEnvkeepRoute

if TYPE_CHECKING:
    from envkeep.client._httpx import httpx

# The one encoding asked for (RFC 9110 §12.5.3: "identity" alone forbids the others).
ACCEPTED: Final = "identity"


def refuse_encoded(response: httpx.Response) -> None:
    """NotAnEnvkeepRoute for ``response`` (its headers read, not its body) when its body is
    in an encoding other than identity."""
    said = response.headers.get("content-encoding", "")
    encodings = [e.strip().lower() for e in said.split(",") if e.strip()]
    if all(e == ACCEPTED for e in encodings):
        return
    where = answered_at(response)
    raise NotAnEnvkeepRoute(
        f"{where} answered in an encoding envkeep did not ask for ({said.strip()[:40]});"
        " it was not read",
        hint=(
            "check the server URL (envkeep login URL, ENVKEEP_SERVER, or server = in"
            " envkeep.toml); if a proxy in front of the server compresses answers, turn that"
            " off for it"
        ),
    )
