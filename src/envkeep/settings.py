"""Everything envkeep reads from the process environment, in one place.

| variable                  | meaning                                                     |
|---------------------------|-------------------------------------------------------------|
| ENVKEEP_HOME              | per-user state: config, identity, embedded database         |
| ENVKEEP_PASSPHRASE        | unlocks (and, on first use, protects) the local identity    |
| ENVKEEP_NEW_PASSPHRASE    | the new one, for `identity protect` and `account passphrase` |
|                           | run without a terminal                                      |
| ENVKEEP_FILE_PASSPHRASE   | a passphrase-encrypted file's (`encrypt --passphrase`,      |
|                           | `decrypt`, merges, `run --file`); never ENVKEEP_PASSPHRASE  |
| ENVKEEP_NEW_FILE_PASSPHRASE | the files' new one, for `reencrypt --new-passphrase`      |
|                           | run without a terminal                                      |
| ENVKEEP_KEYRING           | auto (default): use the OS keyring when usable; off; on     |
| ENVKEEP_DEBUG             | 1: print tracebacks (same as --debug)                       |
| NO_COLOR, CI              | no colour; no interactive prompts                           |
| VISUAL, EDITOR            | the editor `envkeep edit` opens (vi on a terminal if unset) |
| ENVKEEP_SERVER            | the team server to use, over envkeep.toml's `server`        |
| ENVKEEP_TOKEN             | act as a service account (CI, Kubernetes), not a login      |
| ENVKEEP_PROJECT           | the project, where no envkeep.toml is found (with a token)  |
| ENVKEEP_ENV               | the environment where a command names none (over the       |
|                           | project's default_env; --env wins over it)                  |
| ENVKEEP_SIGNERS           | key fingerprints (comma- or space-separated): the only      |
|                           | signers a reader trusts, none on first use (CI)             |
| ENVKEEP_RUN_CACHE         | off: `run` keeps no encrypted copy of what it resolved      |
| ENVKEEP_MAX_AGE           | server down: the oldest kept copy any command reads (24h,   |
|                           | 90m; 0 or off: none); default 24h, 1h for export and        |
|                           | activate-all; `run --max-age` wins over it                  |
| ENVKEEP_LOCAL_OVERRIDES   | on: .envkeep/local.env applies to protected environments    |
|                           | too (by default they never get it)                          |
| ENVKEEP_WITHHELD          | set by `run` for its command: the credentials it kept back  |
| HTTPS_PROXY, HTTP_PROXY,  | the proxy a server is reached through, and the hosts        |
| ALL_PROXY, NO_PROXY       | reached directly (`environ.proxy_variables`, read where a   |
|                           | client is made; `client/proxies` chooses)                   |
| SSL_CERT_FILE, SSL_CERT_DIR | the CAs a server's and an https:// proxy's TLS is checked |
|                           | against (read by httpx; default: certifi's bundle)          |
| ENVKEEP_SERVER_CONFIG     | server: a TOML settings file (as --config)                  |
| ENVKEEP_SERVER_DB         | server: database URL (default: SQLite under ENVKEEP_HOME)   |
| ENVKEEP_SERVER_HOST       | server: address to bind (default 127.0.0.1)                 |
| ENVKEEP_SERVER_PORT       | server: port (default 8600)                                 |
| ENVKEEP_SERVER_RATE       | server: requests/s per IP and per principal (50; 0: off)    |
| ENVKEEP_SERVER_RATE_STORE | server: rate-limit buckets in `memory` (default, one        |
|                           | process) or the `database` (shared; PostgreSQL only)        |
| ENVKEEP_SERVER_TRUSTED_PROXIES | server: proxies (IPs, networks) whose X-Forwarded-For  |
|                           | names the client (default: none)                            |
| ENVKEEP_SERVER_SHUTDOWN_TIMEOUT | server: seconds running requests get after SIGTERM    |
|                           | before they are cancelled (1-3600; default 20)              |
| ENVKEEP_SERVER_CORS_ORIGINS | server: web origins (comma-separated) whose pages may call |
|                           | the API from a browser (CORS; default: none)                |
| ENVKEEP_SERVER_TOKEN_MAX_LIFETIME | server: the longest a service-account token made or |
|                           | rotated may live (90d, 12h, 90m; default off: no maximum)   |
| ENVKEEP_SERVER_POOL_SIZE  | server: the most connections a process opens to PostgreSQL  |
|                           | (2-1000; default 15)                                        |
| ENVKEEP_SERVER_METRICS_PORT | server: serve /metrics on this port alone, not the API's |
| ENVKEEP_SERVER_METRICS_HOST | server: the address of that port (default 127.0.0.1)    |
| ENVKEEP_SERVER_LOG_FORMAT | server: `json` (default: one object a line) or `text`       |
|                           | (readable lines, the same fields)                           |

The ENVKEEP_SERVER_* variables are kept here as written; `server_settings` checks them, where
`envkeep server` and its subcommands use them, and says which wins over which.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from envkeep.environ import (
    debug_enabled,
    home_directory,
    local_overrides_everywhere,
    process_environment,
    run_cache_enabled,
)

if TYPE_CHECKING:
    from collections.abc import Mapping

__all__ = [
    "Settings",
    "load_settings",
    "process_environment",
]


@dataclass(frozen=True)
class Settings:
    home: Path
    passphrase: str | None = field(default=None, repr=False)
    new_passphrase: str | None = field(default=None, repr=False)  # ENVKEEP_NEW_PASSPHRASE
    # ENVKEEP_FILE_PASSPHRASE: a file's, kept apart from the identity's or login's passphrase,
    # which must never end up protecting a file that is committed and shared.
    file_passphrase: str | None = field(default=None, repr=False)
    new_file_passphrase: str | None = field(default=None, repr=False)  # ..._NEW_FILE_PASSPHRASE
    keyring: str = "auto"
    debug: bool = False
    no_color: bool = False
    ci: bool = False
    github_actions: bool = False  # GITHUB_ACTIONS=true: a GitHub Actions job's step
    editor: str = "vi"
    editor_named: bool = False  # VISUAL or EDITOR named the editor (else vi, the fallback)
    shell: str = ""
    server: str | None = None  # ENVKEEP_SERVER: use this team server whatever envkeep.toml says
    server_db: str | None = None  # ENVKEEP_SERVER_DB
    token: str | None = field(default=None, repr=False)  # ENVKEEP_TOKEN: a service account
    # ENVKEEP_TOKEN set to nothing: no token, but a CI secret that did not reach the job is the
    # likely cause, which "log in" alone would not say.
    token_empty: bool = False
    project: str | None = None  # ENVKEEP_PROJECT: the project, where no envkeep.toml is found
    env: str | None = None  # ENVKEEP_ENV: the environment where no --env names one
    # ENVKEEP_SIGNERS, as written (None: unset): the only signers' fingerprints trusted. Read
    # by the client (`signer_list`) when it opens a team server, so no mistake in it breaks
    # --help or the embedded store.
    signers: str | None = None
    # ENVKEEP_MAX_AGE, as written (None: unset): how old a kept copy a command may read with
    # the server down. Checked by the client (`offline_limit`) when it opens a team server.
    max_age: str | None = None
    # ENVKEEP_SERVER_*, as written: None when unset, so that a settings file may supply them.
    # Checked by `server_settings`, only where a command uses one and no flag overrides it:
    # a mistake there must not break client commands, --help or --version.
    server_rate: str | None = None  # requests/s per IP and per principal; 0: off
    server_host: str | None = None
    server_port: str | None = None
    server_rate_store: str | None = None  # memory | database
    server_trusted_proxies: str | None = None  # addresses whose X-Forwarded-For is believed
    server_shutdown_timeout: str | None = None  # seconds before running requests are cancelled
    server_cors_origins: str | None = None  # web origins whose pages may call the API
    server_token_max_lifetime: str | None = None  # the longest a token may live; off: any
    server_pool_size: str | None = None  # the most connections a process opens (PostgreSQL)
    server_log_format: str | None = None  # json | text
    server_metrics_host: str | None = None  # where /metrics is served alone, if anywhere
    server_metrics_port: str | None = None
    server_migrate: str | None = None  # 1: migrate the database before serving
    server_config: Path | None = None  # ENVKEEP_SERVER_CONFIG
    completing: bool = False  # a shell is asking for completions
    run_cache: bool = True  # ENVKEEP_RUN_CACHE: `run` may keep its resolved values (encrypted)
    # ENVKEEP_LOCAL_OVERRIDES=on: .envkeep/local.env reaches protected environments too.
    local_overrides: bool = False
    withheld: frozenset[str] = frozenset()  # ENVKEEP_WITHHELD: credentials an outer run kept

    def withheld_hint(self, name: str) -> str | None:
        """Why credential ``name`` is missing when an outer `envkeep run` kept it back."""
        if name not in self.withheld:
            return None
        passing = " (pass it on with: envkeep run --pass-token)" if name == "ENVKEEP_TOKEN" else ""
        return f"this runs under `envkeep run`, which keeps {name} from its command{passing}"

    def empty_token_hint(self, url: str) -> str | None:
        """What to do where ENVKEEP_TOKEN is set but empty and no one is logged in to ``url``."""
        if not self.token_empty:
            return None
        return (
            "ENVKEEP_TOKEN is set but empty: the CI secret meant for it did not reach this job"
            " (a misspelt name, or a fork's pull request, which gets no secrets); or log in"
            f" with: envkeep login {url}"
        )

    @property
    def database_path(self) -> Path:
        return self.home / "store" / "envkeep.db"

    @property
    def identity_path(self) -> Path:
        return self.home / "identity.json"

    @property
    def private_key_path(self) -> Path:
        return self.home / "identity.key"


def load_settings(environ: Mapping[str, str] | None = None) -> Settings:
    """Settings from the given mapping (the real environment by default)."""
    env = os.environ if environ is None else environ
    keyring = env.get("ENVKEEP_KEYRING", "auto").lower()
    return Settings(
        home=Path(home_directory(env)),
        passphrase=env.get("ENVKEEP_PASSPHRASE") or None,
        new_passphrase=env.get("ENVKEEP_NEW_PASSPHRASE") or None,
        file_passphrase=env.get("ENVKEEP_FILE_PASSPHRASE") or None,
        new_file_passphrase=env.get("ENVKEEP_NEW_FILE_PASSPHRASE") or None,
        keyring=keyring if keyring in {"auto", "on", "off"} else "auto",
        debug=debug_enabled(env),
        no_color="NO_COLOR" in env,
        ci=env.get("CI", "") not in {"", "0", "false"},
        github_actions=env.get("GITHUB_ACTIONS") == "true",
        editor=env.get("VISUAL") or env.get("EDITOR") or "vi",
        editor_named=bool(env.get("VISUAL") or env.get("EDITOR")),
        shell=env.get("SHELL", ""),
        server=env.get("ENVKEEP_SERVER") or None,
        server_db=env.get("ENVKEEP_SERVER_DB") or None,
        token=env.get("ENVKEEP_TOKEN") or None,
        token_empty=env.get("ENVKEEP_TOKEN") == "",
        withheld=frozenset(n for n in env.get("ENVKEEP_WITHHELD", "").split(",") if n),
        project=env.get("ENVKEEP_PROJECT") or None,
        env=env.get("ENVKEEP_ENV") or None,
        # Unlike the others, set but empty is not unset: a CI variable that expanded to nothing
        # (`${{ vars.ENVKEEP_SIGNERS }}` missing) must not quietly trust every signer.
        signers=env.get("ENVKEEP_SIGNERS"),
        max_age=env.get("ENVKEEP_MAX_AGE") or None,
        server_rate=env.get("ENVKEEP_SERVER_RATE") or None,
        server_host=env.get("ENVKEEP_SERVER_HOST") or None,
        server_port=env.get("ENVKEEP_SERVER_PORT") or None,
        server_rate_store=env.get("ENVKEEP_SERVER_RATE_STORE") or None,
        server_trusted_proxies=env.get("ENVKEEP_SERVER_TRUSTED_PROXIES") or None,
        server_shutdown_timeout=env.get("ENVKEEP_SERVER_SHUTDOWN_TIMEOUT") or None,
        server_cors_origins=env.get("ENVKEEP_SERVER_CORS_ORIGINS") or None,
        server_token_max_lifetime=env.get("ENVKEEP_SERVER_TOKEN_MAX_LIFETIME") or None,
        server_pool_size=env.get("ENVKEEP_SERVER_POOL_SIZE") or None,
        server_log_format=env.get("ENVKEEP_SERVER_LOG_FORMAT") or None,
        server_metrics_host=env.get("ENVKEEP_SERVER_METRICS_HOST") or None,
        server_metrics_port=env.get("ENVKEEP_SERVER_METRICS_PORT") or None,
        server_migrate=env.get("ENVKEEP_SERVER_MIGRATE") or None,
        server_config=Path(config).expanduser()
        if (config := env.get("ENVKEEP_SERVER_CONFIG"))
        else None,
        completing="_ENVKEEP_COMPLETE" in env,
        run_cache=run_cache_enabled(env),
        local_overrides=local_overrides_everywhere(env),
    )
