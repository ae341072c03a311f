"""Everything envkeep reads from the process environment, in one place.

| variable            | meaning                                                         |
|---------------------|-----------------------------------------------------------------|
| ENVKEEP_HOME        | per-user state: config, identity, embedded database             |
| ENVKEEP_PASSPHRASE  | unlocks (and, on first use, protects) the local identity        |
| ENVKEEP_KEYRING     | auto (default): use the OS keyring when usable; off: never; on  |
| ENVKEEP_DEBUG       | 1: print tracebacks (same as --debug)                           |
| NO_COLOR, CI        | no colour; no interactive prompts                               |
| VISUAL, EDITOR      | the editor `envkeep edit` opens (default: vi)                   |
| ENVKEEP_SERVER      | the team server to use, over envkeep.toml's `server`            |
| ENVKEEP_TOKEN       | act as a service account (CI, Kubernetes) instead of a login    |
| ENVKEEP_SERVER_DB   | `envkeep server`: database URL (flags > these > defaults)       |
| ENVKEEP_SERVER_HOST | `envkeep server`: address to bind (default 127.0.0.1)           |
| ENVKEEP_SERVER_PORT | `envkeep server`: port (default 8600)                           |
| ENVKEEP_SERVER_RATE | `envkeep server`: requests/s per IP and per principal (0: off)  |
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Mapping


def _default_home(environ: Mapping[str, str]) -> Path:
    base = environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "envkeep"


@dataclass(frozen=True)
class Settings:
    home: Path
    passphrase: str | None = field(default=None, repr=False)
    keyring: str = "auto"
    debug: bool = False
    no_color: bool = False
    ci: bool = False
    editor: str = "vi"
    shell: str = ""
    server: str | None = None  # ENVKEEP_SERVER: use this team server whatever envkeep.toml says
    server_db: str | None = None  # ENVKEEP_SERVER_DB
    token: str | None = field(default=None, repr=False)  # ENVKEEP_TOKEN: a service account
    server_rate: float = 50.0  # ENVKEEP_SERVER_RATE: requests/s per IP and per principal; 0: off
    server_host: str = "127.0.0.1"  # ENVKEEP_SERVER_HOST
    server_port: int = 8600  # ENVKEEP_SERVER_PORT
    completing: bool = False  # a shell is asking for completions

    @property
    def server_database(self) -> str:
        """The server's database URL: ENVKEEP_SERVER_DB, else an SQLite file in ENVKEEP_HOME."""
        return self.server_db or f"sqlite:///{self.home / 'server' / 'envkeep-server.db'}"

    @property
    def database_path(self) -> Path:
        return self.home / "store" / "envkeep.db"

    @property
    def identity_path(self) -> Path:
        return self.home / "identity.json"

    @property
    def private_key_path(self) -> Path:
        return self.home / "identity.key"


def _port(text: str | None) -> int:
    if not text:
        return 8600
    if not text.isdigit() or not 0 < int(text) < 65536:
        from envkeep.core.errors import UsageError

        raise UsageError("ENVKEEP_SERVER_PORT must be a port number (1-65535)")
    return int(text)


def _rate(text: str | None) -> float:
    if not text:
        return 50.0
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if value < 0:
        from envkeep.core.errors import UsageError

        raise UsageError("ENVKEEP_SERVER_RATE must be a number of requests per second (0: off)")
    return value


def load_settings(environ: Mapping[str, str] | None = None) -> Settings:
    """Settings from the given mapping (the real environment by default)."""
    env = os.environ if environ is None else environ
    home = env.get("ENVKEEP_HOME")
    keyring = env.get("ENVKEEP_KEYRING", "auto").lower()
    return Settings(
        home=Path(home).expanduser() if home else _default_home(env),
        passphrase=env.get("ENVKEEP_PASSPHRASE") or None,
        keyring=keyring if keyring in {"auto", "on", "off"} else "auto",
        debug=env.get("ENVKEEP_DEBUG", "") not in {"", "0"},
        no_color="NO_COLOR" in env,
        ci=env.get("CI", "") not in {"", "0", "false"},
        editor=env.get("VISUAL") or env.get("EDITOR") or "vi",
        shell=env.get("SHELL", ""),
        server=env.get("ENVKEEP_SERVER") or None,
        server_db=env.get("ENVKEEP_SERVER_DB") or None,
        token=env.get("ENVKEEP_TOKEN") or None,
        server_rate=_rate(env.get("ENVKEEP_SERVER_RATE")),
        server_host=env.get("ENVKEEP_SERVER_HOST") or "127.0.0.1",
        server_port=_port(env.get("ENVKEEP_SERVER_PORT")),
        completing="_ENVKEEP_COMPLETE" in env,
    )


def process_environment() -> dict[str, str]:
    """A copy of the environment this process was started with (what `run` passes on)."""
    return dict(os.environ)
