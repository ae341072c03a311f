"""What a client command works with: settings, the unlocked identity, the project file, and
the backend — each made on first use, so a command pays only for what it touches."""

from __future__ import annotations

from functools import cached_property
from typing import TYPE_CHECKING

from envkeep.client.identity import Identity, PassphrasePrompt, load_or_create
from envkeep.client.token_login import token_login, token_needs_server
from envkeep.client.verified import VerifiedSignatures
from envkeep.core.errors import NotAuthenticated, UsageError
from envkeep.core.projectfile import FILENAME, ProjectFile, find_project_file, load_project_file

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

    from envkeep.app.views import EnvironmentSnapshot
    from envkeep.client.accounts import ServerSession
    from envkeep.client.backend import Backend
    from envkeep.client.environment_pins import EnvironmentPins
    from envkeep.client.offline_limit import OfflineLimit
    from envkeep.client.service_pins import ServicePins
    from envkeep.client.token_identity import TokenIdentity
    from envkeep.settings import Settings


# `--service -`: the shared scope, even in a service's directory.
SHARED_SCOPE_OPTION = "-"


class ClientContext:
    """One command's view of the world."""

    def __init__(
        self,
        settings: Settings,
        cwd: Path,
        prompt: PassphrasePrompt | None = None,
        notify: Callable[[str], None] | None = None,
    ) -> None:
        self.settings = settings
        self.cwd = cwd
        self._prompt = prompt
        self.notify = notify
        # How old a kept snapshot may be when the server is down: `run --max-age` (None: not
        # given), and whether the command builds files from the values (a shorter default).
        self.max_age: OfflineLimit | None = None
        self.builds_artifact = False
        # Whether reads may fall back to that kept copy: not for a command that writes, whose
        # write would fail offline anyway, after reading (and warning about) a stale copy.
        self.offline_reads = True
        # Whether the command writes (`make_context(writes=True)`): a token's implied
        # environment is then said, as --env would have named it. Not `offline_reads`, which
        # `history` turns off too, though it only reads.
        self.writes = False
        self.warned: set[str] = set()  # warnings said once per command (`warn_once`)
        # Keys this command made (a token's: principal id -> fingerprint), which it seals to
        # whatever ENVKEEP_SIGNERS lists (`new_keys.refuse_untrusted_recipient`).
        self.made_here: dict[str, str] = {}
        # What the invites made here proved of a principal's keys, by (id, name, keys):
        # a revocation rotating 4 environments asked the server 4 times for each reader's.
        self.invite_proofs: dict[tuple[str, str, bytes], bool] = {}
        # Whether this command took the project's default environment (no --env given).
        self.env_defaulted = False
        # Whether it took ENVKEEP_ENV's (no --env given, ENVKEEP_ENV set).
        self.env_from_variable = False
        # `init --local`: the embedded store, though a login would choose its server.
        self.embedded_chosen = False
        # The command this is (``service add``), which a server records with its reads.
        self.command: str | None = None
        # Environments (project, name) and services (project, name) whose id on the server
        # this command accepts and pins whatever this machine pinned before (`env trust`,
        # `service trust`); and the pins, once a team server's backend is made
        # (client/environment_pins.py, client/service_pins.py).
        self.trusted_environments: set[tuple[str, str]] = set()
        self.trusted_services: set[tuple[str, str]] = set()
        self.environment_pins: EnvironmentPins | None = None
        self.service_pins: ServicePins | None = None
        self._backend: Backend | None = None

    def warn_once(self, text: str) -> None:
        """``notify`` ``text`` unless this command said it already (it reads an environment
        twice, say)."""
        if self.notify is not None and text not in self.warned:
            self.warned.add(text)
            self.notify(text)

    @cached_property
    def server_url(self) -> str | None:
        """The team server this command talks to; None for the embedded store.

        ENVKEEP_SERVER wins; then envkeep.toml's ``server``; outside a project (``init``), the
        server you are logged in to, unless `init --local` chose the embedded store.
        """
        named = self._named_server
        if self.settings.server and named is not None:
            self._warn_if_cleartext(named)
            return named
        if self.has_checkout:
            if named is not None and self.settings.token:  # CI: no login warned of this URL
                self._warn_if_cleartext(named)
            return named
        session = None if self.embedded_chosen else self.session
        return None if session is None else session.url

    @cached_property
    def _named_server(self) -> str | None:
        """The server ENVKEEP_SERVER names, else the checkout's envkeep.toml, as a login keeps
        its URL (`server_urls.normalise_url`: no trailing ``/`` or ``/v1``), so that either spelling
        finds the login; a UsageError naming where an address without a scheme was written."""
        from envkeep.client.server_urls import normalise_url

        if self.settings.server:
            written, where = self.settings.server, "ENVKEEP_SERVER"
        elif self.has_checkout and self._checkout_file.server is not None:
            written, where = self._checkout_file.server, str(self._checkout_file.path)
        else:
            return None
        try:
            return normalise_url(written)
        except UsageError as error:
            error.message += f" ({where})"
            raise

    def _warn_if_cleartext(self, url: str) -> None:
        """ENVKEEP_SERVER, or a token's envkeep.toml server, over plain http:// off this
        machine: the token travels in clear (a login's URL was warned of at the login)."""
        from envkeep.client.server_urls import cleartext_warning

        warning = cleartext_warning(url, carried="the token (ENVKEEP_TOKEN, or the login's)")
        if warning is not None:
            self.warn_once(warning)

    def choose_embedded(self) -> None:
        """`init --local`: a new project on the embedded store though you are logged in. A
        server named by ENVKEEP_SERVER or by envkeep.toml is refused: commands run here later
        would go there, not where the project was made."""
        if self.settings.server:
            raise UsageError(
                "--local puts the project on this machine's embedded store, and ENVKEEP_SERVER"
                " names a server that every later command here would use",
                hint="unset ENVKEEP_SERVER, or leave out --local",
            )
        here = self.cwd / FILENAME  # init sets up this one (a project above it is refused)
        project = load_project_file(here) if here.exists() else None
        if project is not None and project.server is not None:
            raise UsageError(
                f"{project.path} puts project '{project.project}' on {project.server}; --local"
                " is for a project on this machine's embedded store",
                hint="run envkeep init without --local",
            )
        self.embedded_chosen = True

    @cached_property
    def session(self) -> ServerSession | None:
        from envkeep.client.accounts import load_session

        if self.settings.token:
            return self._token_login[0]
        return load_session(self.settings)

    @property
    def token_scopes(self) -> tuple[tuple[str | None, str | None], ...]:
        """ENVKEEP_TOKEN's: the scopes its roles lie in, (project, environment) by name (None:
        all of it); none without a token, or from a server from before it said."""
        return self._token_login[2].scopes if self.settings.token else ()

    @property
    def token_identity(self) -> TokenIdentity | None:
        """What the server says of ENVKEEP_TOKEN (its scopes, its expiry); None without one."""
        return self._token_login[2] if self.settings.token else None

    @cached_property
    def _token_login(self) -> tuple[ServerSession, Identity, TokenIdentity]:
        """ENVKEEP_TOKEN: a service account's session and keys, unwrapped in memory."""
        return token_login(self._named_server, self.settings.token or "", self.warn_once)

    def server_session(self, url: str) -> ServerSession:
        """The session this command talks to ``url`` with; NotAuthenticated, saying why the
        command went there, where no one is logged in."""
        session = self.session
        if session is None or session.url != url:
            hint = self.settings.withheld_hint("ENVKEEP_TOKEN") or self.settings.empty_token_hint(
                url
            )
            raise NotAuthenticated(
                self._not_logged_in(url), hint=hint or f"log in with: envkeep login {url}"
            )
        return session

    def _not_logged_in(self, url: str) -> str:
        """Why this command went to ``url``, where no one is logged in: ENVKEEP_SERVER, or the
        checkout's project, by name."""
        if self.settings.server:
            return f"ENVKEEP_SERVER names {url}, and you are not logged in there"
        if self.has_checkout:
            project = self.project_file.project
            return f"project '{project}' lives on {url}, and you are not logged in there"
        return f"you are not logged in to {url}"

    @property
    def identity_settings(self) -> Settings:
        """Where this command's identity lives: ENVKEEP_HOME, or the server account's folder."""
        url = self.server_url
        if url is None or self.settings.token:
            return self.settings
        from envkeep.client.accounts import server_settings

        return server_settings(self.settings, url)

    @cached_property
    def identity(self) -> Identity:
        url = self.server_url
        if url is None:
            return load_or_create(self.settings, self._prompt)
        if self.settings.token:
            return self._token_login[1]
        from envkeep.client.accounts import server_identity

        return server_identity(self.settings, self.server_session(url), self._prompt)

    @property
    def backend(self) -> Backend:
        if self._backend is None:
            from envkeep.client.backend_opening import open_backend

            self._backend = open_backend(self)
        return self._backend

    def key_opened(self, snapshot: EnvironmentSnapshot) -> None:
        """The reader's share of ``snapshot``'s current key opened: its key version pinned
        (an answer fetched from the team server, not a copy kept offline)."""
        pins, backend = self.environment_pins, self._backend
        if pins is None or getattr(backend, "read_kept_copy", True):
            return
        project, env = snapshot.project.name, snapshot.environment.name
        trusted = (project, env) in self.trusted_environments
        env_id, key_version = snapshot.environment.id, snapshot.environment.key_version
        pins.opened(project, env, env_id, key_version, trusted=trusted)

    def offline_limit(self) -> OfflineLimit:
        """How old a kept copy this command may read with the server down: `run --max-age`,
        else ENVKEEP_MAX_AGE, else the default (shorter for a command that builds files)."""
        from envkeep.client.offline_limit import offline_limit

        return offline_limit(
            self.settings.max_age, flag=self.max_age, artifact=self.builds_artifact
        )

    @cached_property
    def listed_signers(self) -> frozenset[str] | None:
        """The fingerprints ENVKEEP_SIGNERS lists (the only signers trusted then); None when
        it is unset, and signers are trusted on first use."""
        if self.settings.signers is None:
            return None
        from envkeep.client.signer_list import parse_signers

        return parse_signers(self.settings.signers)

    @cached_property
    def workspace_id(self) -> str | None:
        """The workspace commands go to on the team server: the one envkeep.toml pins its
        project to (tenants may hold projects of one name), else the session's active one;
        None on the embedded store."""
        url = self.server_url
        if url is None:
            return None
        active = self.server_session(url).workspace_id
        pinned = self._pinned_workspace(url)
        if pinned is None or pinned == active:
            return active
        if self.settings.token:
            raise UsageError(
                f"{self.project_file.path} puts project '{self.project_file.project}' in"
                f" workspace {pinned}, and ENVKEEP_TOKEN belongs to another",
                hint="use a token of that workspace (envkeep token create, run there)",
            )
        return pinned

    def _pinned_workspace(self, url: str) -> str | None:
        """The workspace envkeep.toml names, when its project lives on ``url``."""
        if not self.has_checkout:
            return None
        from envkeep.client.server_urls import bare_url

        project = self.project_file
        if project.workspace is None or bare_url(project.server or "") != bare_url(url):
            return None
        return project.workspace

    @cached_property
    def verified(self) -> VerifiedSignatures:
        """The identity's cache of signatures it has already checked."""
        path = self.settings.home / "cache" / "verified-signatures"
        return VerifiedSignatures(path, self.identity.keys)

    @property
    def has_checkout(self) -> bool:
        """Whether the project's checkout is here: an envkeep.toml in the working directory or
        a parent. Without one (ENVKEEP_PROJECT names the project) the store is all there is:
        no service's schema, templates or path, which envkeep.toml declares."""
        return find_project_file(self.cwd) is not None

    def role_scope(
        self, project: str | None, environment: str | None
    ) -> tuple[str | None, str | None]:
        """A role's scope as ``--project``/``--env`` give it (None: all of it); ``--env`` alone
        names an environment of this checkout's project (or ENVKEEP_PROJECT's), as every other
        command reads it."""
        named = self.has_checkout or bool(self.settings.project)  # ENVKEEP_PROJECT names it
        if environment is not None and project is None and named:
            return self.project_file.project, environment
        return project, environment

    @cached_property
    def project_file(self) -> ProjectFile:
        path = find_project_file(self.cwd)
        if path is not None:
            return self._checkout_file
        # No checkout at hand (a CI job, a container): the project by name (ENVKEEP_PROJECT,
        # else the one project ENVKEEP_TOKEN's roles lie in), on the server ENVKEEP_SERVER
        # names, with no services, templates or schemas declared.
        project = self.settings.project or self._token_project()
        if project is None and self.settings.token and not self.settings.server:
            raise token_needs_server()  # what it lacks first: the project comes after
        if project is None:
            server = self._named_server
            empty = self.settings.empty_token_hint(server) if server else None
            raise UsageError(  # an empty token first: a token would have named the project
                f"no {FILENAME} found in {self.cwd} or its parents",
                hint=empty
                or "set up a project here with: envkeep init NAME (or name one:"
                " ENVKEEP_PROJECT); the projects you can use: envkeep project list",
            )
        return ProjectFile(project, self.cwd, server=self._named_server)

    @cached_property
    def _checkout_file(self) -> ProjectFile:
        path = find_project_file(self.cwd)
        if path is None:
            raise UsageError(f"no {FILENAME} found in {self.cwd} or its parents")
        return load_project_file(path)

    def _token_project(self) -> str | None:
        """The one project ENVKEEP_TOKEN's roles lie in, when it has a server to ask and its
        roles name one (not the whole workspace, not two projects)."""
        if not self.settings.token or not self.settings.server:
            return None
        projects = {project for project, _environment in self.token_scopes}
        return next(iter(projects)) if len(projects) == 1 and None not in projects else None

    def token_environment(self, project: str) -> str | None:
        """The one environment of ``project`` ENVKEEP_TOKEN's roles open, when they open one
        alone (a token for staging runs against staging without --env); None where the token
        is not in use (a checkout on the embedded store ignores it)."""
        if not self.settings.token or self.server_url is None:
            return None
        environments = {e for p, e in self.token_scopes if p is None or p == project}
        if len(environments) != 1 or None in environments:
            return None
        return next(iter(environments))

    def default_env(self, env: str | None) -> str:
        """The environment named on the command line, else ENVKEEP_ENV's, else the one a
        token's roles open alone, else the project's default."""
        if env is None and self.settings.env is not None:
            self.env_from_variable = True
            if self.writes or self.builds_artifact:  # say where it goes, or what it puts out
                self.warn_once(
                    f"note: environment '{self.settings.env}', from ENVKEEP_ENV (pass --env for"
                    " another)"
                )
            return self.settings.env
        if env is None:
            self.env_defaulted = True
            project = self.project_file
            implied = self.token_environment(project.project)
            if implied is None:
                return project.default_env
            if self.writes:  # say where it goes, as --env would have
                self.warn_once(
                    f"note: environment '{implied}', the one ENVKEEP_TOKEN's roles open"
                    " (pass --env to write to another)"
                )
            return implied
        if not env:
            raise UsageError("--env needs a name", hint="leave it out for the project's default")
        return env

    def default_service(self, service: str | None) -> str | None:
        """The service named on the command line (``-``: the shared scope), else the one whose
        directory (envkeep.toml's ``path``) the command runs in; None (the shared scope)
        anywhere else."""
        if service == SHARED_SCOPE_OPTION:
            return None
        if service == "":
            raise UsageError(
                "--service needs a name",
                hint="leave it out for the service of the directory you are in; --service -"
                " for the shared scope",
            )
        return service if service is not None else self.directory_service

    @property
    def directory_service(self) -> str | None:
        """The service whose directory (envkeep.toml's ``path``) the command runs in: the one
        a command works on when no --service is given, so a hint's command that means the
        shared scope must say ``--service -`` here (`resolution.where_flags`). None outside
        a checkout or every service's directory."""
        return self.project_file.service_at(self.cwd) if self.has_checkout else None

    def close(self) -> None:
        if self._backend is not None:
            self._backend.close()
