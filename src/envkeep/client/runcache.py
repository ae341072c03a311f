"""`envkeep run`'s warm start: what a service saw on its last run, kept encrypted, so that
running the same command again skips opening, resolving and validating every variable.

A cold run (``client/runcache_save.py``) records, next to the values it resolved and
validated, everything they were computed from: the embedded store's change stamp
(``store/stamp.py``) and the bytes of every file that resolution and validation read
(identity.json, envkeep.toml, schema files, template files and the listings of their
directories, local overrides). A warm run checks each of them again and uses the entry only if
nothing differs; any difference, a missing or damaged entry, or a team server (whose reads are
audited there) means the cold path. Entries are sealed with a key only the identity's private
keys give (``crypto/warm.py``), and only for an identity whose keys rest unprotected in
ENVKEEP_HOME: a passphrase-protected identity never has its values cached.

This module is on the path of every `run`, before anything else of envkeep is loaded: it
imports nothing heavier than ``os``, ``marshal``, ``binascii``, sqlite3 and pyca's bindings.
"""

from __future__ import annotations

import binascii
import marshal
import os

TYPE_CHECKING = False  # not typing's: see envkeep/crypto/__init__.py
if TYPE_CHECKING:
    Files = list[tuple[str, bytes | None]]  # path, bytes (None: no such file)
    Listings = list[tuple[str, list[str] | None]]  # directory, sorted names (None: none)

FORMAT = b"envkeep/run-cache/2"  # 2: the notes a run printed
PROJECT_FILE = "envkeep.toml"
PRIVATE_KEY_SIZE = 64


def nearest_project_file(cwd: str) -> str | None:
    """The nearest envkeep.toml in ``cwd`` or a parent (as ``core.projectfile`` finds it)."""
    directory = cwd
    while True:
        candidate = os.path.join(directory, PROJECT_FILE)
        if os.path.isfile(candidate):
            return candidate
        parent = os.path.dirname(directory)
        if parent == directory:
            return None
        directory = parent


def entry_aad(
    project_file: str, env: str | None, service: str | None, *, validate: bool, directory: str
) -> bytes:
    """What an entry is for, bound into its encryption: one per project file, environment as
    given (None: the project's default), service and validation; without a service, the
    working directory too (it picks the service, `ProjectFile.service_at`)."""
    where = "" if service else directory
    fields = (project_file, env or "", service or "", "validate" if validate else "", where)
    return FORMAT + b"\0" + "\0".join(fields).encode("utf-8", "surrogateescape")


def entry_path(home: str, aad: bytes) -> str:
    """Where the entry for ``aad`` lives (a collision only costs a cold run: ``aad`` is
    checked on opening)."""
    name = f"{binascii.crc32(aad):08x}{binascii.crc32(aad[::-1]):08x}.bin"
    return os.path.join(home, "cache", "run", name)


def database_path(home: str) -> str:
    """The embedded store (``Settings.database_path``)."""
    return os.path.join(home, "store", "envkeep.db")


def private_key_bytes(home: str) -> bytes | None:
    """The identity's raw private keys from their file; None when they rest elsewhere (the OS
    keyring) or are wrapped with a passphrase."""
    raw = read_bytes(os.path.join(home, "identity.key"))
    if raw is None:
        return None
    try:
        keys = binascii.a2b_base64(raw.strip(), strict_mode=True)
    except binascii.Error:
        return None
    return keys if len(keys) == PRIVATE_KEY_SIZE else None


def read_bytes(path: str) -> bytes | None:
    """A file's bytes; None when there is no such file."""
    try:
        with open(path, "rb") as handle:
            return handle.read()
    except (FileNotFoundError, NotADirectoryError):
        return None


def listing(directory: str) -> list[str] | None:
    """A directory's entries, sorted; None when there is no such directory."""
    try:
        return sorted(os.listdir(directory))
    except (FileNotFoundError, NotADirectoryError):
        return None


def unchanged(files: Files, listings: Listings) -> bool:
    """Whether every recorded file and directory listing is as it was."""
    try:
        return all(read_bytes(p) == data for p, data in files) and all(
            listing(d) == names for d, names in listings
        )
    except OSError:  # unreadable now: let the cold path say what is wrong
        return False


def warm_values(
    env: str | None, service: str | None, *, validate: bool
) -> tuple[dict[str, str], list[str]] | None:
    """The values a cold run resolved for the same command, with the notes it printed, if
    nothing they came from has changed since; None otherwise."""
    from envkeep.environ import warm_start_home

    home = warm_start_home()
    cwd = os.getcwd()
    project_file = None if home is None else nearest_project_file(cwd)
    if home is None or project_file is None:
        return None
    keys = private_key_bytes(home)
    aad = entry_aad(project_file, env, service, validate=validate, directory=cwd)
    sealed = read_bytes(entry_path(home, aad))
    if keys is None or sealed is None:
        return None
    from envkeep.crypto.warm import open_entry, run_cache_key

    plaintext = open_entry(run_cache_key(keys), sealed, aad)
    if plaintext is None:
        return None
    stamp, files, listings, values, notes = marshal.loads(plaintext)  # noqa: S302 - sealed by us
    if not unchanged(files, listings):
        return None
    from envkeep.store.stamp import change_stamp

    if change_stamp(database_path(home)) != stamp:
        return None
    return values, notes
