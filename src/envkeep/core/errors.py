"""One exception hierarchy for envkeep, each error with a stable code.

Every error carries a ``code`` (stable, machine-readable), an HTTP ``status`` (for the API's
problem+json), a CLI ``exit_code`` (DESIGN §6: 1 failure, 2 usage, 3 validation, 4 not
authorised, 5 unreachable; `envkeep server`'s own: 6 port in use, 7 database not opened), a
one-line message and an optional hint saying what to do next.
Messages never contain a value, a key, a token or a passphrase.

    EnvkeepError
    ├── UsageError                    bad arguments            (exit 2, 400)
    │   ├── ConfirmationRequired         protected env, no --yes
    │   └── LifetimeOverMaximum          a token's lifetime over the server's maximum
    ├── InputError                    bad input file or text   (exit 1, 422)
    │   ├── ParseError                   …with a line number
    │   ├── ReferenceProblem             ${…} cycle, dangling or malformed (exit 3)
    │   └── SchemaViolation              a write breaks a service's schema (exit 3)
    ├── NotFoundError                 (exit 1, 404)
    │   ├── ProjectNotFound
    │   ├── ServiceNotFound
    │   ├── EnvironmentNotFound
    │   ├── VariableNotFound
    │   ├── VersionNotFound
    │   └── RoleNotHeld                  revoke of a role not held there
    ├── AlreadyExistsError            (exit 1, 409)
    ├── ConflictError                 stale write              (exit 1, 409)
    │   ├── EnvironmentReplaced          its name is another environment now
    │   ├── EnvironmentProtected         delete of a protected environment
    │   └── NotAFile                     a directory where a pins file belongs
    ├── LocalFileUnwritable           a file of ENVKEEP_HOME this user cannot write (exit 1)
    ├── RotationLeft                  revoked, keys left unrotated (exit 1, 500; rotation_left.py)
    ├── Declined                      "no" at a confirmation prompt (exit 1)
    ├── ValidationFailed              (exit 3, 422)
    ├── AccessError                   (exit 4)
    │   ├── NotAuthenticated             (401)
    │   ├── PermissionDenied             (403)
    │   │   └── KeyNotHeld                  a role, but no share of the environment's key
    │   └── WrongPassphrase              (401)
    ├── CryptoError                   (exit 1, 400)
    │   └── IntegrityError               tampered or mis-signed data
    ├── StoreError                    database unusable        (exit 1, 500)
    │   └── DatabaseUnopened             the server's database cannot be opened (exit 7)
    ├── PortInUse                     the server's port is another program's (exit 6)
    ├── RateLimited                   over a server rate limit: retry later (exit 5, 429)
    ├── CommandError                  `run` could not start its command (exit 127)
    │   └── CommandNotExecutable         found, not executable (exit 126)
    └── UnreachableError              (exit 5, 503)
        ├── NotAnEnvkeepRoute            the URL answered, not as envkeep's API
        ├── StoreUnavailable             the server's database does not answer
        │   ├── NoTransactionSlot           every transaction slot held too long (server)
        │   ├── StorageFull                 the server's database is out of disk space
        │   └── SchemaChanged               its schema changed under the running server
        └── ServerFailed                 an unexpected error of the server's own (500)
"""

from __future__ import annotations

from typing import ClassVar


class EnvkeepError(Exception):
    """Base of every error envkeep raises on purpose."""

    code: ClassVar[str] = "error"
    status: ClassVar[int] = 500
    exit_code: ClassVar[int] = 1

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return self.message

    def fields(self) -> dict[str, str]:
        """Members the API's problem+json adds for this error, beyond its code and words."""
        return {}


class UsageError(EnvkeepError):
    code = "usage"
    status = 400
    exit_code = 2


class ConfirmationRequired(UsageError):
    """A change to a protected environment (or a destructive one) made without --yes."""

    code = "confirmation_required"


class LifetimeOverMaximum(UsageError):
    """A service-account token asked to live longer than the server's maximum
    (`token_max_lifetime`), or for ever: nothing was made; the hint says what to pass."""

    code = "token_lifetime_over_maximum"


class InputError(EnvkeepError):
    code = "invalid_input"
    status = 422


class ParseError(InputError):
    """Text that could not be parsed; ``line`` is 1-based when known."""

    code = "parse_error"

    def __init__(
        self,
        message: str,
        *,
        line: int | None = None,
        source: str | None = None,
        hint: str | None = None,
    ) -> None:
        where = ""
        if source is not None and line is not None:
            where = f"{source}:{line}: "
        elif line is not None:
            where = f"line {line}: "
        elif source is not None:
            where = f"{source}: "
        super().__init__(f"{where}{message}", hint=hint)
        self.line = line
        self.source = source


class ReferenceProblem(InputError):
    """A ``${NAME}`` reference that cannot be expanded; the message names its path, no value."""

    code = "reference_error"
    exit_code = 3


class SchemaViolation(InputError):
    """A value about to be written that a service's schema refuses; nothing was written. The
    message names the service, variable and rule, never the value. Exit 3, as `validate` and
    `run` exit on the same schema's findings."""

    code = "schema_violation"
    exit_code = 3


class NotFoundError(EnvkeepError):
    code = "not_found"
    status = 404


class ProjectNotFound(NotFoundError):
    """``conceals``: the same answer would be given for a project that exists and that the
    caller holds no role on (it may not list the workspace's projects), so it may stand for a
    refusal; the server audits it as one (`api/denials.py`)."""

    code = "project_not_found"

    def __init__(self, message: str, *, hint: str | None = None, conceals: bool = False) -> None:
        super().__init__(message, hint=hint)
        self.conceals = conceals


class ServiceNotFound(NotFoundError):
    code = "service_not_found"


class EnvironmentNotFound(NotFoundError):
    code = "environment_not_found"


class VariableNotFound(NotFoundError):
    code = "variable_not_found"


class VersionNotFound(NotFoundError):
    code = "version_not_found"


class RoleNotHeld(NotFoundError):
    """A revoke of a role the principal does not hold at exactly that scope."""

    code = "role_not_held"

    @classmethod
    def at(cls, who: str, where: str) -> RoleNotHeld:
        """``who`` holds no role at ``where``, with where to look."""
        return cls(
            f"{who} holds no role at {where}; nothing changed",
            hint="a revoke takes away the role at exactly that scope; see every member's roles"
            " with: envkeep member list",
        )


class AlreadyExistsError(EnvkeepError):
    code = "already_exists"
    status = 409


class ConflictError(EnvkeepError):
    """A write based on a stale version; nothing was written."""

    code = "conflict"
    status = 409


class EnvironmentReplaced(ConflictError):
    """A key rotation found, under the environment's name, another environment."""

    code = "environment_replaced"


class EnvironmentProtected(ConflictError):
    """Deleting a protected environment: ``--yes`` is not enough, it has to be unprotected
    first (`env edit NAME --unprotect`), a second deliberate step."""

    code = "environment_protected"
    status = 409

    @classmethod
    def named(cls, name: str) -> EnvironmentProtected:
        """The refusal for environment ``name``, with the step that lifts it."""
        return cls(
            f"environment '{name}' is protected; nothing was deleted",
            hint=f"unprotect it first if you mean it: envkeep env edit {name} --unprotect",
        )


class NotAFile(ConflictError):
    """A directory where envkeep keeps a file of its own (a pins file of ENVKEEP_HOME): to be
    moved aside, never deleted unseen (it may hold what the user needs). Never crosses the
    API."""

    code = "not_a_file"


class LocalFileUnwritable(EnvkeepError):
    """A file of ENVKEEP_HOME that this user cannot write (a read-only home, another user's),
    for a command whose one change is that file (`member verify`'s pin): nothing was changed.
    Never crosses the API."""

    code = "local_file_unwritable"
    status = 500


class Declined(EnvkeepError):
    """The user answered "no" at a terminal's confirmation prompt: nothing changed. Exit 1,
    as click's and terraform's aborts: the user chose, so it is no usage mistake (that is
    ConfirmationRequired: no --yes where nobody can be asked). Never crosses the API."""

    code = "declined"
    status = 400

    def __init__(self) -> None:
        super().__init__("aborted; nothing changed")


class Interrupted(EnvkeepError):
    """Ctrl-C where something the user typed must be kept first (an edit's text): said with
    where it is, exit 130 as any interrupted command. Never crosses the API."""

    code = "interrupted"
    status = 400
    exit_code = 130

    def __init__(self) -> None:
        super().__init__("interrupted; nothing was written")


class ValidationFailed(EnvkeepError):
    code = "validation_failed"
    status = 422
    exit_code = 3


class AccessError(EnvkeepError):
    code = "access_denied"
    status = 403
    exit_code = 4


class NotAuthenticated(AccessError):
    code = "not_authenticated"
    status = 401

    def __init__(self, message: str, *, hint: str | None = None, credential: str | None = None):
        super().__init__(message, hint=hint)
        # The request's bearer credential, refused as no longer valid ("session": a login's,
        # ended or expired; "token": a service account's), as the problem's `credential`
        # member; None for any other refusal (a wrong passphrase, an invite's code).
        self.credential = credential

    def fields(self) -> dict[str, str]:
        return {} if self.credential is None else {"credential": self.credential}


class PermissionDenied(AccessError):
    code = "permission_denied"
    status = 403

    def __init__(
        self,
        message: str,
        *,
        hint: str | None = None,
        needed: str | None = None,
        scope: str | None = None,
    ):
        super().__init__(message, hint=hint)
        self.needed = needed  # the role a refusal at one scope asked for (problem's `needed`)
        # "workspace": the caller holds no role anywhere in the workspace the request named
        # (problem's `scope`), so nothing of it may be read, here or from a kept copy.
        self.scope = scope

    def fields(self) -> dict[str, str]:
        found = {"needed": self.needed, "scope": self.scope}
        return {name: value for name, value in found.items() if value is not None}


class KeyNotHeld(PermissionDenied):
    """A role that opens an environment, but no share of its current data key (no admin
    sealed it to the caller yet): raised by the client, which names whoever holds the key
    where it may see them (`client/key_holders`)."""

    def __init__(
        self,
        message: str,
        *,
        hint: str | None = None,
        project: str,
        environment: str,
        lost: bool = False,
    ) -> None:
        super().__init__(message, hint=hint)
        self.project = project
        self.environment = environment
        self.lost = lost  # no admin who keeps access holds it: nobody can seal or rotate it

    def told(self, hint: str, *, lost: bool = False) -> KeyNotHeld:
        """The same refusal with ``hint`` instead (and ``lost``)."""
        return KeyNotHeld(
            self.message,
            hint=hint,
            project=self.project,
            environment=self.environment,
            lost=lost,
        )


class WrongPassphrase(AccessError):
    code = "wrong_passphrase"
    status = 401


class CryptoError(EnvkeepError):
    code = "crypto_error"
    status = 400


class IntegrityError(CryptoError):
    """Ciphertext, signature or envelope failed verification: tampered or wrong key."""

    code = "integrity_error"


class StoreError(EnvkeepError):
    code = "store_error"
    status = 500


class DatabaseUnopened(StoreError):
    """`envkeep server` (or a subcommand) cannot open its database: a missing directory, a
    PostgreSQL that does not answer or refuses the user, a file that is no database or that
    another process holds locked. Its own exit code, so that a supervisor or a deploy script
    tells it from a port in use (6) and from any other failure (1)."""

    code = "database_unopened"
    exit_code = 7


class PortInUse(EnvkeepError):
    """`envkeep server` cannot listen on a port (--port, --metrics-port) another program
    listens on; the message names the address, the hint the option to change. Its own exit
    code (see `DatabaseUnopened`)."""

    code = "port_in_use"
    exit_code = 6


class RateLimited(EnvkeepError):
    """Over one of the server's rate limits (the login throttle, the per-address or
    per-principal request limit); the message says which, ``retry_after`` (seconds, when known)
    when to try again. Exit 5 as for a server out of reach: nothing is wrong with the request
    or the caller's rights (exit 4 would read as a wrong passphrase), it can succeed later. Not
    an UnreachableError: a kept offline copy does not stand in for a throttled read."""

    code = "rate_limited"
    status = 429
    exit_code = 5

    def __init__(
        self, message: str, *, hint: str | None = None, retry_after: int | None = None
    ) -> None:
        super().__init__(message, hint=hint)
        self.retry_after = retry_after


class CommandError(EnvkeepError):
    """`run` could not start its command; exits 127 like a shell does."""

    code = "command_error"
    status = 500
    exit_code = 127


class CommandNotExecutable(CommandError):
    """`run` found the command but may not execute it; exits 126 like a shell does."""

    code = "command_not_executable"
    exit_code = 126


class UnreachableError(EnvkeepError):
    code = "unreachable"
    status = 503
    exit_code = 5


class NotAnEnvkeepRoute(UnreachableError):
    """The URL answered, but not as an envkeep API route: another program there, a path in the
    server URL, or a server older than the route."""

    code = "not_an_envkeep_route"
    # The URL said it has no such route (404, 405, 501): only then may the server be one older
    # than the route, and a caller take its way around that (a proxy's 403 is no such answer).
    route_missing: bool = False


class StoreUnavailable(UnreachableError):
    """The server answers, but its database does not (a 503 `unavailable`). To the CLI that is
    a server out of reach: it exits 5, and a kept offline copy may stand in for a read, as the
    issue's offline rule asks for a server that cannot serve."""

    code = "unavailable"


class NoTransactionSlot(StoreUnavailable):
    """A request waited the longest it may for one of the server's database transaction
    slots, all held by requests the database keeps waiting (a table locked, a database
    strained or stopped): a 503 `unavailable` with ``retry_after``; nothing of it ran.
    ``reason`` is for the server's log line (the client is told only to retry)."""

    def __init__(self, *, waited: float, slots: int, retry_after: int = 5) -> None:
        super().__init__(
            "the server is busy: every database transaction slot stayed taken",
            hint="retry in a moment",
        )
        self.retry_after = retry_after
        self.reason = (
            f"no database transaction slot came free in {waited:g} s (all {slots} taken: a"
            " table locked, or the database slow or stopped)"
        )


class StorageFull(StoreUnavailable):
    """The server's database refused a write because its disk is full (SQLite's
    SQLITE_FULL, PostgreSQL's disk_full): a 503 `storage_full`, nothing of the request written.
    Said as such, unlike a database that does not answer: retrying soon does not help, and the
    operator must free space. To the CLI a server out of reach like any StoreUnavailable."""

    code = "storage_full"


class SchemaChanged(StoreUnavailable):
    """The database's schema is no longer the one the running server was built for: another
    envkeep migrated it (or a restore put an older one back) while the server ran. The server
    refuses every request that would use the database until it is restarted with an envkeep
    of that schema (`api.schema_watch`); nothing of the request ran. Made with ``under``; the
    client rebuilds it from the problem's words (``EnvkeepError``'s constructor)."""

    code = "schema_changed"

    @classmethod
    def under(cls, found: str | None, running: str) -> SchemaChanged:
        """The refusal of a server that runs schema ``running`` on a database now at ``found``
        (None: its version table is empty)."""
        at = f"schema {found}" if found else "no schema revision"
        return cls(
            f"the server's database was changed to {at} while the server ran (it serves"
            f" schema {running}): it refuses requests until it is restarted",
            hint="the server's operator must restart it with the envkeep that migrated its"
            " database (docs/deploy.md, 'Upgrades')",
        )


class ServerFailed(UnreachableError):
    """The server failed with an error of its own (a bug, a database error it does not map):
    a 500, whose message names the request id the server's log line for it carries. An
    UnreachableError, as a plain 500 always was to the CLI: the request may well be right, so
    it exits 5 and a kept offline copy may stand in for a read."""

    code = "internal"
    status = 500
