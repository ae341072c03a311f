"""`envkeep encrypt|decrypt` and `run --file`: git-friendly encrypted dotenv files, keyed by an
environment's data key or by a passphrase (the format lives in ``client/filecrypt``)."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from envkeep.client import filecrypt, filecrypt_reuse, merge_driver
from envkeep.client.env_file_only import parse_env_file
from envkeep.client.file_key_refusals import no_project_refused, other_key_refused
from envkeep.client.file_key_versions import note_older_key, older_key_refused
from envkeep.client.file_source import FileSource, StandardInput, named
from envkeep.client.foreign_ciphertext import foreign_decrypt_refused, refuse_foreign_ciphertext
from envkeep.client.reading import read_environment
from envkeep.core.errors import (
    EnvironmentNotFound,
    InputError,
    IntegrityError,
    ProjectNotFound,
    UsageError,
)
from envkeep.core.files import write_new

if TYPE_CHECKING:
    from collections.abc import Iterator, Mapping

    from envkeep.client.context import ClientContext
    from envkeep.client.vault import OpenEnvironment

Passphrase = Callable[[], str]


def _read_text(path: Path) -> str:
    try:
        data = path.read_bytes()
    except FileNotFoundError:  # a file argument that names nothing: as `import` says it
        raise UsageError(f"{path} not found", hint="check the file's path") from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise InputError(f"{path}:{line}: not UTF-8 text", hint="save the file as UTF-8") from None


def _output(target: Path | None, source: FileSource, by_name: Callable[[Path], Path]) -> Path:
    """``target``, else the file named after ``source``: standard input has no name."""
    if target is not None:
        return target
    if isinstance(source, StandardInput):
        raise UsageError("stdin has no name to name the file written after", hint="pass -o FILE")
    return by_name(source)


def _source_text(source: FileSource) -> str:
    return source.text if isinstance(source, StandardInput) else _read_text(source)


def _write(path: Path, text: str, *, force: bool, mode: int) -> None:
    write_new(path, text.encode("utf-8"), force=force, mode=mode)


def _environment_file_key(ctx: ClientContext, env: str) -> filecrypt.FileKey:
    opened = read_environment(ctx, env, [])
    return filecrypt.environment_key(
        opened.dek,
        env_id=opened.snapshot.environment.id,
        key_version=opened.key_version,
        label=env,
    )


@dataclass(frozen=True)
class EncryptedFile:
    """The file `encrypt` wrote, and the variables whose values it changed against the
    encrypted file it replaced (None: none replaced under the same key); ``older``: the key
    version that file was under, when older than the one written now."""

    path: Path
    changed: tuple[str, ...] | None
    older: int | None = None


def encrypt_file(
    ctx: ClientContext,
    source: FileSource,
    target: Path | None,
    *,
    env: str | None,
    passphrase: Passphrase | None,
    force: bool = False,
) -> EncryptedFile:
    """Encrypt each value of a dotenv file (names stay readable) to an environment's key (the
    project's default environment unless ``env`` names one) or to a passphrase; ``target``
    (None: SOURCE.enc) is needed for standard input."""
    out = _output(target, source, lambda path: path.with_name(path.name + ".enc"))
    # Replacing an encrypted file: unchanged values keep their ciphertexts (reviewable diffs).
    replaced = filecrypt_reuse.replaced_file(out) if force else None
    encrypted, key = _encrypted(ctx, source, env=env, passphrase=passphrase, replaced=replaced)
    _write(out, encrypted, force=force, mode=0o644)
    changed = filecrypt_reuse.changed_names(replaced, encrypted, key)
    return EncryptedFile(out, changed, filecrypt_reuse.older_key_version(replaced, encrypted))


def encrypted_text(
    ctx: ClientContext, source: FileSource, *, env: str | None, passphrase: Passphrase | None
) -> str:
    """`encrypt_file`'s text, for stdout."""
    return _encrypted(ctx, source, env=env, passphrase=passphrase, replaced=None)[0]


def _encrypted(
    ctx: ClientContext,
    source: FileSource,
    *,
    env: str | None,
    passphrase: Passphrase | None,
    replaced: str | None,
) -> tuple[str, filecrypt.FileKey]:
    """A dotenv file's text encrypted, and the key; ``replaced``: the encrypted file it
    replaces, whose unchanged values keep their ciphertexts."""
    if env is not None and passphrase is not None:
        raise UsageError("choose one key", hint="pass --env ENV or --passphrase, not both")
    text = _source_text(source)
    # As `import` warns about the same file:
    for warning in _checked_warnings(text, source):
        if ctx.notify is not None:
            ctx.notify(f"warning: {warning}")
    if passphrase is not None:
        key = filecrypt_reuse.passphrase_key_for_replacing(passphrase(), replaced)
    else:
        key = _environment_file_key(ctx, _environment(ctx, env))
    return filecrypt.encrypt_dotenv(text, key, source=str(source), previous=replaced), key


def _checked_warnings(text: str, source: FileSource) -> tuple[str, ...]:
    """Hold the values to the limit `set` and `import` hold them to (`run --file` passes each
    one to a command in its environment, which takes at most 128 KiB a variable), refuse
    another tool's ciphertext; the parse's warnings (a duplicate key: the last value wins)."""
    from envkeep.client.write_plans import check_size

    parsed = parse_env_file(text, source, command="encrypt", as_stored=False)
    refuse_foreign_ciphertext(parsed.values, source, doing="encrypt would encrypt")
    for entry in parsed.entries:
        check_size(entry.name, entry.value)
    return parsed.warnings


def _environment(ctx: ClientContext, env: str | None) -> str:
    """The environment whose key a file is encrypted to: ``env``, else the project's default;
    outside a project, only a passphrase is left."""
    if env is None and not ctx.has_checkout and not ctx.settings.project:
        raise UsageError(
            "no key to encrypt to outside a project",
            hint="pass --passphrase, or run it in a project (envkeep init NAME)",
        )
    return ctx.default_env(env)


def _key_for(
    ctx: ClientContext,
    text: str,
    source: FileSource,
    passphrase: Passphrase | None,
    *,
    from_stdin: bool = False,
    opened_notes: list[Callable[[], None]] | None = None,
) -> bytes:
    """The key that opens encrypted ``text``; ``opened_notes`` gets what to say once it
    opened and verified (an older key version than the current one: a tampered file is not
    worth re-encrypting)."""
    from_stdin = from_stdin or isinstance(source, StandardInput)
    marker = merge_driver.conflict_marker_line(text)
    if marker is not None:
        raise IntegrityError(
            f"{source}: line {marker}: git merged this file line by line and left conflict"
            " markers in it",
            hint=merge_driver.merge_again_hint(Path(named(source))),
        )
    header = filecrypt.read_header(text)
    if header is None:
        raise not_encrypted(source, text, from_stdin=from_stdin)
    if "kdf" in header:
        if passphrase is None:
            raise UsageError(f"{source} needs its passphrase", hint="set ENVKEEP_FILE_PASSPHRASE")
        return filecrypt.passphrase_key_for_header(header, passphrase()).key
    wanted = filecrypt.file_environment(header)
    try:
        opened = _environment_with_id(ctx, wanted.label, wanted.env_id)
    except ProjectNotFound:
        raise no_project_refused(ctx, source, wanted.label) from None
    if opened is None:
        # Its key went with it: creating an environment of that name makes another key.
        raise other_key_refused(ctx, source, wanted.label)
    dek = opened.data_key(wanted.key_version)  # a share that did not open: its own refusal
    if dek is None:  # from before a rotation, and the caller was granted after it
        path = None if from_stdin or isinstance(source, StandardInput) else source
        raise older_key_refused(path, wanted.key_version, opened)
    if opened_notes is not None and isinstance(source, Path) and not from_stdin:
        # stdin: a version from git's history
        read = source
        opened_notes.append(lambda: note_older_key(ctx, read, wanted.key_version, opened))
    key = filecrypt.environment_key(
        dek,
        env_id=wanted.env_id,
        key_version=wanted.key_version,
        label=wanted.label,
    )
    return key.key


def _environment_with_id(ctx: ClientContext, label: str, env_id: str) -> OpenEnvironment | None:
    """The environment a file was encrypted for, opened: by the name the file gives, else (it
    was renamed since: the id and the key stay) by its id among the project's environments;
    None if it is gone (one made again under the old name has another id and key)."""
    with contextlib.suppress(EnvironmentNotFound):
        opened = read_environment(ctx, label, [])
        if opened.snapshot.environment.id == env_id:
            return opened
    environments = ctx.backend.list_environments(ctx.project_file.project)
    now_called = next((e.name for e in environments if e.id == env_id), None)
    return None if now_called is None else read_environment(ctx, now_called, [])


def decrypted_text(ctx: ClientContext, source: FileSource, *, passphrase: Passphrase | None) -> str:
    """The exact original text of an encrypted file (for a file, or stdout)."""
    return opened_text(ctx, _source_text(source), source, passphrase, note_older=True)


def opened_text(
    ctx: ClientContext,
    text: str,
    source: FileSource,
    passphrase: Passphrase | None,
    *,
    from_stdin: bool = False,
    note_older: bool = False,
) -> str:
    """The exact original of encrypted ``text``, read already from ``source`` (``from_stdin``:
    ``source`` only names it), opened and verified as `decrypt` opens it; ``note_older``: a
    file under an older key version than its environment's current one is said to be."""
    notes: list[Callable[[], None]] = []
    wanted = notes if note_older else None
    key = _key_for(ctx, text, source, passphrase, from_stdin=from_stdin, opened_notes=wanted)
    with _hinting_merges(text, key, source):
        plain = filecrypt.decrypt_dotenv(text, key, source=str(source))
    for note in notes:
        note()
    return plain


@contextlib.contextmanager
def _hinting_merges(text: str, key: bytes, source: FileSource) -> Iterator[None]:
    """A file that the right key opens but that fails verification while git merges: it was
    most likely merged line by line (by git, or by hand), so the hint says how to merge it."""
    try:
        yield
    except IntegrityError as error:
        if isinstance(source, StandardInput):  # no file, no git state of its own
            raise
        if filecrypt.key_matches(text, key) and merge_driver.being_merged(source):
            error.hint = merge_driver.merge_again_hint(source)
        raise


def plain_name(source: Path) -> Path:
    """Where `decrypt` writes ``source`` by default: its name without ``.enc``, else with
    ``.dec`` added."""
    if source.suffix == ".enc":
        return source.with_suffix("")
    return source.with_name(source.name + ".dec")


def decrypt_file(
    ctx: ClientContext,
    source: FileSource,
    target: Path | None,
    *,
    passphrase: Passphrase | None,
    force: bool = False,
) -> Path:
    """Restore the exact original file (0600: it holds secrets); return the file written
    (``target``, else SOURCE without .enc: needed for standard input)."""
    out = _output(target, source, plain_name)
    plain = decrypted_text(ctx, source, passphrase=passphrase)
    _write(out, plain, force=force, mode=0o600)
    return out


def file_values(
    ctx: ClientContext,
    source: Path,
    passphrase: Passphrase | None,
    inherited: Mapping[str, str],
) -> dict[str, str]:
    """The values of a dotenv file, decrypted when it is encrypted, their ``${NAME}`` expanded
    as docker compose and dotenvx expand them: from the file's own values, else from
    ``inherited`` (the environment `run` was started with); single-quoted and ``$${`` are
    literal. A reference that names nothing is an error naming it (exit 3)."""

    text = _read_text(source)
    if not filecrypt.is_encrypted(text):
        values = parse_env_file(text, source, command="run", as_stored=True).values
        refuse_foreign_ciphertext(values, source, doing="run would pass to the command")
    else:
        notes: list[Callable[[], None]] = []
        key = _key_for(ctx, text, source, passphrase, opened_notes=notes)
        with _hinting_merges(text, key, source):
            values = filecrypt.decrypt_values(text, key, source=str(source), as_stored=True)
        for note in notes:
            note()
    return _expanded(values, inherited, source)


def _expanded(values: dict[str, str], inherited: Mapping[str, str], source: Path) -> dict[str, str]:
    from envkeep.core.errors import ReferenceProblem
    from envkeep.core.references import find_references
    from envkeep.core.resolve import Layer, resolve

    if not any("${" in value for value in values.values()):
        return values
    named = {str(ref) for value in values.values() for ref in find_references(value)}
    # Only the names the file refers to and does not set, as literal text (stored form), and
    # never envkeep's own credentials.
    outside = {
        name: inherited[name].replace("${", "$${")
        for name in named - values.keys()
        if name in inherited and not name.startswith("ENVKEEP_")
    }
    resolution = resolve([Layer("environment", outside), Layer(str(source), values)])
    problems = [name for name in values if name in resolution.errors]
    if problems:
        raise ReferenceProblem(
            f"{source}: {resolution.errors[problems[0]]}"
            + (f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""),
            hint="set it in the file or in the environment run starts with; write '$${' or"
            " single-quote the value for a literal '${'",
        )
    return {name: resolution.values[name] for name in values}


# --- for `merge-file` (client/filemerge.py) ----------------------------------------------------


def read_encrypted_text(path: Path) -> str:
    """A file's text, as `decrypt` reads it (an empty file stays empty: git's stand-in for a
    side that has none)."""
    return _read_text(path)


def opening_key(
    ctx: ClientContext, text: str, source: Path, passphrase: Passphrase | None
) -> bytes:
    """The key that decrypts encrypted ``text``, found as `decrypt` finds it: the data key of
    the environment its header names (by id), or ``passphrase``."""
    return _key_for(ctx, text, source, passphrase)


def not_encrypted(
    source: FileSource | str, text: str, *, from_stdin: bool = False
) -> UsageError | InputError:
    """The refusal of a file with no envkeep header line (``text``): one that dotenvx or SOPS
    encrypted, else a plain file, most likely."""
    from_stdin = from_stdin or isinstance(source, StandardInput)
    foreign = foreign_decrypt_refused(text, source, from_stdin=from_stdin)
    if foreign is not None:
        return foreign
    file = "FILE" if from_stdin else named(Path(str(source)))
    return UsageError(
        f"{source} is not an envkeep-encrypted file: its first line is no envkeep header",
        hint=f"a plain .env file is encrypted with: envkeep encrypt {file}",
    )


def current_environment_key(ctx: ClientContext, text: str, source: Path) -> filecrypt.FileKey:
    """The key `encrypt` would use now for a file like environment-keyed ``text``: its
    environment's (found by id, renamed or not) current key version."""
    header = filecrypt.read_header(text)
    if header is None:
        raise not_encrypted(source, text)
    wanted = filecrypt.file_environment(header)
    try:
        opened = _environment_with_id(ctx, wanted.label, wanted.env_id)
    except ProjectNotFound:
        raise no_project_refused(ctx, source, wanted.label) from None
    if opened is None:
        raise other_key_refused(ctx, source, wanted.label)
    environment = opened.snapshot.environment
    return filecrypt.environment_key(
        opened.dek, env_id=environment.id, key_version=opened.key_version, label=environment.name
    )
