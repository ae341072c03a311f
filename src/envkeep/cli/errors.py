"""How the CLI reports an error: one line, a hint, the exit code of DESIGN §6.

Kept free of Rich so the fast `run` path can use it too.
"""

from __future__ import annotations

import errno
import re
import sys
import traceback

from envkeep.cli.marks import fitted
from envkeep.cli.output import terminal_text
from envkeep.core.errors import EnvkeepError, ProjectNotFound, ServiceNotFound


def report(error: EnvkeepError, *, debug: bool) -> int:
    """Print ``error`` to stderr (with the traceback when debugging) and return its exit code."""
    if debug:
        traceback.print_exception(error)
    if isinstance(error, ServiceNotFound):
        _point_to_init(error)
    if isinstance(error, ProjectNotFound):
        _point_to_embedded(error)
    lines = [f"error: {error.message}"]
    if error.hint:
        lines.append(f"hint: {error.hint}")
    text = "\n".join(terminal_text(line) for line in lines)
    sys.stderr.write(fitted(sys.stderr, text) + "\n")  # its marks as the locale can show them
    return error.exit_code


_UNKNOWN_SERVICE = re.compile(r"service '([^']+)' not found")


def _point_to_init(error: ServiceNotFound) -> None:
    """A service envkeep.toml declares but the store lacks (a teammate added it in another
    checkout): `envkeep init` registers it, not `service add` (which would refuse: the file
    has it). The name is read from the message, which is all an answer of the server keeps."""
    found = _UNKNOWN_SERVICE.search(error.message)
    if found is None:
        return
    from pathlib import Path

    from envkeep.core.errors import EnvkeepError as Failed
    from envkeep.core.projectfile import find_project_file, load_project_file

    try:
        path = find_project_file(Path.cwd())
        declared = path is not None and load_project_file(path).service(found[1]) is not None
    except (Failed, OSError):
        return
    if declared:
        error.hint = "envkeep.toml declares it, but it is not registered here yet: envkeep init"


def _point_to_embedded(error: ProjectNotFound) -> None:
    """The checkout's own project not found, where its envkeep.toml names no server but a
    login or ENVKEEP_SERVER may have made the user expect one: "create it with: envkeep init"
    would make a second, empty project; the hint says where it is more likely kept."""
    from pathlib import Path

    from envkeep.client.checkout_store import missing_project_hint
    from envkeep.settings import load_settings

    try:
        hint = missing_project_hint(load_settings(), Path.cwd(), error.message)
    except (EnvkeepError, OSError):
        return
    if hint is not None:
        error.hint = hint


def report_unexpected(error: BaseException, *, debug: bool) -> int:
    """A bug: say so in one line; the traceback with --debug. A file the system refused
    (a directory where a file was meant, a missing parent, no permission) is not a bug: one
    line naming the path."""
    if debug:
        traceback.print_exception(error)
    if isinstance(error, OSError) and error.filename is not None:
        return _report_path(error)
    if isinstance(error, UnicodeEncodeError) and _locale_encoding(error.encoding):
        return _report_locale(error.encoding)
    sys.stderr.write(
        f"error: unexpected {type(error).__name__}; this is a bug in envkeep\n"
        "hint: run again as 'envkeep --debug COMMAND …' (or with ENVKEEP_DEBUG=1) for the"
        " traceback, and report it\n"
    )
    return 1


def _locale_encoding(encoding: str) -> bool:
    """Whether ``encoding`` is a non-UTF-8 one the locale gave stdout, stderr or the names
    and environment passed to a command (LC_ALL=C with Python's UTF-8 mode off, Latin-1)."""
    import codecs

    def name(of: str | None) -> str:
        return codecs.lookup(of or "utf-8").name

    locale = {
        name(sys.stdout.encoding),
        name(sys.stderr.encoding),
        name(sys.getfilesystemencoding()),
    }
    return name(encoding) != "utf-8" and name(encoding) in locale


def _report_locale(encoding: str) -> int:
    """Text this locale's encoding cannot hold: a setting to change (exit 2), not a bug. The
    character is not named: it may be part of a value."""
    sys.stderr.write(
        f"error: this locale's encoding ({encoding}) cannot hold a character of what envkeep"
        " was to print or pass on (a value's or a name's)\n"
        "hint: run it under a UTF-8 locale (LC_ALL=C.UTF-8) or with PYTHONUTF8=1; export"
        " -o FILE writes UTF-8 whatever the locale\n"
    )
    return 2


_PATH_HINTS: dict[type[OSError], str] = {
    IsADirectoryError: "it is a directory: give the path of a file",
    NotADirectoryError: "a part of the path is a file, not a directory",
    FileNotFoundError: "check the path (its directory must exist)",
    PermissionError: "check the permissions of the file and of its directory",
}

# By errno, where the exception's type says nothing more than OSError.
_ERRNO_HINTS: dict[int, str] = {
    errno.ENOSPC: "the disk is full: free some space on it, then run the command again",
    errno.EDQUOT: "your disk quota is used up: free some space, then run the command again",
    # A container's read-only root, a read-only bind of a CI runner's home or checkout.
    errno.EROFS: "the file system is read-only: give a path on a writable one (a mounted"
    " volume, /tmp, a CI runner's $RUNNER_TEMP); for envkeep's own files (identity, pins,"
    " kept copies), set ENVKEEP_HOME to a directory there",
}


def _report_path(error: OSError) -> int:
    """One line for a path the system refused: exit 2 for a path that cannot be right, else 1."""
    hint = next((h for kind, h in _PATH_HINTS.items() if isinstance(error, kind)), None)
    hint = hint or _ERRNO_HINTS.get(error.errno or 0)
    reason = error.strerror or type(error).__name__
    # A rename (an atomic write) names its target second.
    path = error.filename2 if error.filename2 is not None else error.filename
    lines = [f"error: {path}: {reason}"]
    if hint:
        lines.append(f"hint: {hint}")
    sys.stderr.write("\n".join(lines) + "\n")
    wrong_path = isinstance(error, IsADirectoryError | NotADirectoryError | FileNotFoundError)
    return 2 if wrong_path else 1
