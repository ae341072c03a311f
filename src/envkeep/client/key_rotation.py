"""Key rotation: a new data key for an environment, every current value re-encrypted under it
and the key sealed to every current reader; and the rotations a revocation calls for."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from envkeep import crypto
from envkeep.client.new_keys import rotation_shares
from envkeep.client.reading import note_unopened, read_environment
from envkeep.client.rotation_request import send_rotation
from envkeep.client.scope_shares import scope_environments
from envkeep.client.team_server import team_backend
from envkeep.client.write_plans import WriteTarget
from envkeep.core.errors import (
    EnvironmentNotFound,
    EnvironmentReplaced,
    EnvkeepError,
    KeyNotHeld,
    UsageError,
)
from envkeep.core.rotation_left import RotationLeft

if TYPE_CHECKING:
    from collections.abc import Mapping

    from envkeep.client.context import ClientContext
    from envkeep.client.http import HttpBackend


def rotate_environments(
    ctx: ClientContext, answer: Mapping[str, Any], gone: frozenset[str] = frozenset()
) -> list[str]:
    """Rotate the data key of each environment a revocation's ``answer`` names; return them as
    project/env, in name order. ``gone``: the principals the revocation removed, to whom no new
    key is sealed whatever the server lists (`rotate_key`). The revocation happened already:
    an environment that fails does not stop the others, and `RotationLeft` then names each one
    left with the command that rotates it (after what its error said to do first).

    The answer names each environment (project, environment, id). Ids it lists without a name
    (a server from before it named them gives ids alone) are found by listing the workspace."""
    ids = set(answer.get("environment_ids") or [])
    named = [item for item in answer.get("environments") or [] if isinstance(item, dict)]
    missing = ids - {item.get("environment_id") for item in named}
    if missing:
        named += _named_by_listing(ctx, missing)
    rotated: list[str] = []
    left: list[tuple[str, str, str]] = []
    hints: list[str] = []
    lost: list[str] = []  # no admin who keeps access holds the key: said once, for all
    for item in sorted(named, key=lambda i: (str(i.get("project")), str(i.get("environment")))):
        project, environment = str(item.get("project")), str(item.get("environment"))
        try:
            env_id = item.get("environment_id")
            rotated.append(_rotate_named(ctx, project, environment, env_id, gone))
        except _RenamedFailed as renamed:  # left under the name it has now
            left.append((project, renamed.name, _why_left(renamed.__cause__)))
        except KeyNotHeld as missing:
            left.append((project, environment, str(missing)))
            if missing.lost:
                lost.append(f"{project}/{environment}")
            elif missing.hint:
                hints.append(missing.hint)
        except EnvkeepError as error:
            left.append((project, environment, str(error)))
            if error.hint:
                hints.append(error.hint)
        except Exception as error:  # noqa: BLE001 - the others still rotate; named below
            left.append((project, environment, _why_left(error)))
    if left:
        raise RotationLeft.of(rotated, left, hints, tuple(lost))
    return rotated


def _rotate_named(
    ctx: ClientContext, project: str, environment: str, env_id: Any, gone: frozenset[str]
) -> str:
    """Rotate one environment a revocation named; its project/env. When its name is another
    environment now, or no environment (renamed), the named one is found by id and rotated
    under its new name; one that is gone needs no rotation."""
    try:
        rotate_key(ctx, environment, project=project, expected_id=env_id, gone=gone)
    except (EnvironmentReplaced, EnvironmentNotFound):
        if env_id is None:
            raise
        listed = scope_environments(team_backend(ctx), project=project)
        renamed = [i for i in listed if i.get("environment_id") == env_id]
        if not renamed:
            return f"{project}/{environment} (deleted since)"
        environment = str(renamed[0]["environment"])
        try:
            rotate_key(ctx, environment, project=project, expected_id=env_id, gone=gone)
        except Exception as error:
            raise _RenamedFailed(environment) from error
    return f"{project}/{environment}"


def _why_left(error: BaseException | None) -> str:
    """Why an environment's rotation stopped, in words: an envkeep error's own, a system
    error's reason; for anything else (a bug, not the user's to fix) that it failed
    unexpectedly, never an exception's class name."""
    if isinstance(error, EnvkeepError):
        return str(error)
    if isinstance(error, OSError) and error.strerror:
        return error.strerror.lower()
    return "failed unexpectedly: a bug in envkeep"


class _RenamedFailed(Exception):
    """The rotation of an environment found under its new name ``name`` failed."""

    def __init__(self, name: str) -> None:
        super().__init__(name)
        self.name = name


def _named_by_listing(ctx: ClientContext, affected: set[str]) -> list[dict[str, Any]]:
    """The workspace's environments among ``affected`` (ids), by listing them."""
    if not affected:
        return []
    backend = team_backend(ctx)
    found = []
    for item in scope_environments(backend):
        env_id = item.get("environment_id")
        if env_id is None:
            env_id = backend.read_environment(
                item["project"], item["environment"], []
            ).environment.id
        if env_id in affected:
            found.append(item)
    return found


def rotate_key(
    ctx: ClientContext,
    environment: str,
    *,
    project: str | None = None,
    expected_id: str | None = None,
    gone: frozenset[str] = frozenset(),
    delete_damaged: frozenset[str] = frozenset(),
) -> int:
    """A new data key for an environment: every current value re-encrypted under it and the
    key sealed to every current reader, in one request; return the new key version. The
    files of this checkout encrypted to an older key of it are named (they still open with
    it). ``expected_id``: the environment a revocation named, which the name must still be (not
    one renamed away and another created in its place). ``gone``: principals who lost access
    (a member just removed): the key is sealed to none of them, even where the server still
    lists them as readers (it drops such a share itself; a server that kept one would hand
    the new key to whom the revocation took it from), and that is said. A reader whose key
    is not trusted here is left out of the new key and named, with what to do
    (`new_keys.rotation_shares`). A secret that does
    not open is deleted only when ``delete_damaged`` names its id, else the rotation is refused
    naming it (`damaged_secrets`)."""
    try:
        backend = team_backend(ctx)
    except UsageError:
        raise UsageError(
            "a key rotation takes a key away from those who lost access; on the embedded store"
            " you are the only one who holds it, so there is nothing to rotate",
            hint="to wrap the keys on this machine with a new passphrase: envkeep identity protect",
        ) from None
    project_name = project or ctx.project_file.project
    if project is None:
        opened = read_environment(ctx, environment, None, damaged_ok=True)
    else:
        opened = _open_other(ctx, project_name, environment)
    env = opened.snapshot.environment
    if expected_id is not None and env.id != expected_id:
        raise EnvironmentReplaced(
            f"'{project_name}/{environment}' is another environment now (renamed and replaced)",
            hint=f"rotate the environment with id {expected_id} under its new name",
        )
    from envkeep.client import damaged_secrets

    damaged_secrets.refuse_rotation(opened, project_name, delete=delete_damaged)
    new_version = env.key_version + 1
    dek = crypto.new_data_key()
    target = WriteTarget(env.id, dek, new_version)
    writes = opened.rotation_writes(target)  # deletions too: newcomers hold the new key only

    readers = environment_readers(backend, project_name, environment)
    listed_gone = [r for r in readers if r.get("id") in gone]
    if listed_gone:
        ctx.warn_once(
            f"the server lists whom the revocation removed as a reader of"
            f" {project_name}/{environment} still; the new key was not sealed to them"
        )
        readers = [r for r in readers if r not in listed_gone]
    sealed = f"the new key of {project_name}/{environment}"
    shares, left_out = rotation_shares(ctx, readers, target, sealed)
    from envkeep.api import schemas

    body = schemas.Rotation(
        new_key_version=new_version,
        shares=[schemas.NewShare.model_validate(s) for s in shares],
        writes=[schemas.SecretWrite.model_validate(w) for w in writes],
        left_out=sorted(left_out),
    )
    sent = body.model_dump(mode="json")
    if not left_out:  # a server older than the field is sent what it knows
        del sent["left_out"]
    send_rotation(backend, project_name, environment, sent, left_out)
    for left in left_out.values():  # they read nothing written from now until sealed it
        ctx.warn_once("\n".join(left.lines(sealed)))
    ctx.verified.save()  # the new values' signatures, made here (`rotation_writes`)
    if ctx.environment_pins is not None:  # an answer under the old key is refused from now
        ctx.environment_pins.rotated(project_name, environment, env.id, new_version)
    damaged_secrets.say_rotated(ctx, opened, project_name)
    from envkeep.client.file_key_versions import note_files_under_older_keys

    note_files_under_older_keys(ctx, project_name, env.id, environment, new_version)
    return new_version


def environment_readers(
    backend: HttpBackend, project: str, environment: str
) -> list[dict[str, Any]]:
    """Everyone who reads ``project/environment`` now, as the API lists them: those a new data
    key of it is sealed to."""
    readers: list[dict[str, Any]] = backend.api.request(
        "GET", f"{backend.project_path(project)}/environments/{environment}/readers"
    )
    return readers


def _open_other(ctx: ClientContext, project: str, environment: str) -> Any:
    from envkeep.client.key_holders import named_holders
    from envkeep.client.vault import OpenEnvironment

    snapshot = ctx.backend.read_environment(project, environment, None)
    try:
        opened = OpenEnvironment(snapshot, ctx.identity, ctx.verified)
    except KeyNotHeld as missing:  # as `read_environment` says it: who to ask for the key
        raise named_holders(ctx, missing, None) from None
    note_unopened(ctx, opened)
    return opened
