"""How large a variable's value may be, on both sides of the API.

The client refuses a value over ``MAX_VALUE_BYTES`` before it encrypts anything
(``client/vault.check_size``): `run` hands every value to a command in its environment, where
Linux takes at most 128 KiB a variable and about 2 MiB for all of them together. The server
cannot see a value, only its envelope, which is the value's bytes plus a fixed overhead
(AES-256-GCM: a 5-byte header, a 12-byte nonce and a 16-byte tag; ``crypto.encoding``, which
``tests/test_value_limit.py`` holds to this), so it refuses a write whose envelope is larger
than a 64 KiB value's: a client older than the limit, or one that skips it, cannot store a
value that every `run` of the environment would then fail on.

A variable's name is held to ``MAX_NAME_BYTES`` the same way (every reader downloads every
name of an environment, and a name is an environment variable's name: no program needs a
longer one), except in a key rotation, which carries names stored before the limit; a name's
index and a version's signature may be no larger than the client makes them.
"""

from __future__ import annotations

from typing import Final

MAX_VALUE_BYTES: Final = 64 * 1024
ENVELOPE_OVERHEAD: Final = 5 + 12 + 16
MAX_VALUE_ENVELOPE: Final = MAX_VALUE_BYTES + ENVELOPE_OVERHEAD
MAX_NAME_BYTES: Final = 1024
MAX_NAME_ENVELOPE: Final = MAX_NAME_BYTES + ENVELOPE_OVERHEAD
NAME_INDEX_BYTES: Final = 32  # HMAC-SHA256
SIGNATURE_BYTES: Final = 64  # Ed25519
