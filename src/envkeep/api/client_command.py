"""The ``Envkeep-Command`` request header: the envkeep command a client says a request is
part of (``get``, ``service add``, ``member remove``), recorded with the reads it makes
(``via`` in a read event's details).

An admin's `service add`, `member grant` or revocation reads environments' values (to find
reference cycles, to seal keys, to re-encrypt them), and each read is audited as a read, which
it is: the ciphertext went to that machine. Without the command, an auditor asking who read
prod finds the admin there for reads they never typed. The header is the client's word, not
the server's knowledge (a client can send any command it likes, as it can send any request):
it labels reads, and decides nothing. Only a few short lowercase words are taken, so an
event's details can hold no value, path or text of the client's choosing beyond that.
"""

from __future__ import annotations

import re

HEADER = "Envkeep-Command"
_TAKEN = re.compile(r"[a-z][a-z0-9-]{0,23}(?: [a-z][a-z0-9-]{0,23}){0,2}")


def client_command(value: str | None) -> str | None:
    """The command a request's ``Envkeep-Command`` header names, or None for none or a value
    outside what envkeep's commands are called (a few lowercase words)."""
    if value is None or len(value) > 48 or not _TAKEN.fullmatch(value):
        return None
    return value
