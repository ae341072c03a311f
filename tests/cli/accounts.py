"""Accounts on the team server the ``http`` backend's CLI tests share.

Every ENVKEEP_HOME of an http test is logged in to an account of its own, and each account
founds its own workspace (``TeamServer.invite``), so every test is a tenant of its own: its
``shop`` is not another test's ``shop``. The server refuses a second workspace for an existing
email (``accept_invite``: "an account for … exists"), so a fresh workspace is a fresh account.

The account is made in this process with ``envkeep.client.accounts.join`` — the code
`envkeep join` runs, without the 0.3 s start of a process; Argon2id (64 MiB, on the client)
was most of what remained, about 0.3 s: these joins share one salt per process, so the key is
derived once (tests/repeated_work.py).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import TYPE_CHECKING

from envkeep.client.accounts import data_dir, join, load_session
from envkeep.settings import Settings, load_settings
from tests.repeated_work import fixture_joins

if TYPE_CHECKING:
    from pathlib import Path

    from envkeep.client.accounts import ServerSession
    from tests.server import TeamServer

PASSPHRASE = "correct horse battery staple"


def settings_for(home: Path) -> Settings:
    """What an `envkeep` process run with ``home`` as ENVKEEP_HOME reads (keyring off)."""
    return load_settings({"ENVKEEP_HOME": str(home), "ENVKEEP_KEYRING": "off"})


# Numbered across the process, not per ``Accounts``: pytest may make the session's ``homes``
# again for the same server (when a worker's tests come back to the ``http`` parameter), and
# a number used twice would be an existing account.
_TENANTS = itertools.count()


@dataclass
class Accounts:
    """Makes accounts on ``server``, one workspace each."""

    server: TeamServer

    def join(self, home: Path) -> ServerSession:
        """A new account, founding a new workspace, logged in with ``home`` as ENVKEEP_HOME."""
        email = f"tenant-{next(_TENANTS)}@example.com"
        code = self.server.invite(email)
        with fixture_joins():
            return join(
                settings_for(home), self.server.url, code, email=email, passphrase=PASSPHRASE
            )


def identity_home(home: Path) -> Path:
    """Where the identity's files (identity.json, identity.key) are: ENVKEEP_HOME for the
    embedded store; ``servers/<host>/`` under it for the account a home is logged in to."""
    settings = settings_for(home)
    session = load_session(settings)
    return home if session is None else data_dir(settings, session.url)


def workspace_of(home: Path) -> str | None:
    """The workspace the home is logged in to (None for the embedded store)."""
    session = load_session(settings_for(home))
    return None if session is None else session.workspace_id
