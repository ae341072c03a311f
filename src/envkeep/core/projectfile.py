"""``envkeep.toml``: the committable project file (no secrets), found by walking up.

    project = "shop"
    default_env = "dev"
    environments = ["dev", "staging", "prod"]

    [services.api]
    path = "services/api"
    schema = "services/api/.env.example"      # or a [services.api.schema] table
    templates = ["postgres"]
    health_url = "http://localhost:8080/healthz"

Any other key, at the top level or in a service's table, is refused (`TOP_KEYS`,
`SERVICE_KEYS`). Commands that change the file edit its text in place (append a section,
remove one), so the comments and layout a user wrote survive (`projectfile_edits`).
"""

from __future__ import annotations

import difflib
import re
import tomllib
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from envkeep.core._tomltext import key_line, toml_key, toml_string
from envkeep.core.did_you_mean import did_you_mean_aside
from envkeep.core.errors import InputError, ParseError

if TYPE_CHECKING:
    from collections.abc import Collection, Mapping, Sequence
    from pathlib import Path

FILENAME = "envkeep.toml"
# Every key envkeep reads. What it writes is among them: render_project_file and
# _service_lines here, and the settings client/ edits in place (default_env and environments
# in environments.py; path, schema and templates in service_entries.py and schemas.py).
TOP_KEYS: tuple[str, ...] = (
    "project",
    "default_env",
    "environments",
    "server",
    "workspace",
    "services",
)
SERVICE_KEYS: tuple[str, ...] = ("path", "schema", "templates", "health_url")


@dataclass(frozen=True)
class ServiceEntry:
    """One service as the project file declares it."""

    name: str
    path: str | None = None
    schema: str | None = None  # path of its .env.example
    schema_table: dict[str, object] | None = None  # or an inline [services.NAME.schema] table
    templates: tuple[str, ...] = ()
    health_url: str | None = None


@dataclass(frozen=True)
class ProjectFile:
    """The parsed project file and where it was found."""

    project: str
    root: Path
    default_env: str = "dev"
    environments: tuple[str, ...] = ()
    services: tuple[ServiceEntry, ...] = field(default=())
    server: str | None = None  # the team server holding this project; None: the embedded store
    workspace: str | None = None  # the id of its workspace on that server (tenants share names)

    @property
    def path(self) -> Path:
        return self.root / FILENAME

    @property
    def declared_environments(self) -> tuple[str, ...]:
        """The environments the file lists, else its default one alone."""
        return self.environments or (self.default_env,)

    def service(self, name: str) -> ServiceEntry | None:
        """The entry of one service, if the file declares it."""
        return next((s for s in self.services if s.name == name), None)

    def service_at(self, directory: Path) -> str | None:
        """The service whose directory holds ``directory`` (the deepest, when directories nest);
        None outside every service's directory. Only a directory strictly inside the project
        counts (links resolved): one at the root is where the shared scope is worked on, and
        one outside it (``..``, an absolute path) is no service's place here."""
        here = directory.resolve()
        root = self.root.resolve()
        found: tuple[int, str] | None = None
        for entry in self.services:
            if entry.path is None:
                continue
            base = (self.root / entry.path).resolve()
            if base == root or not base.is_relative_to(root) or not here.is_relative_to(base):
                continue
            if found is None or len(base.parts) > found[0]:
                found = (len(base.parts), entry.name)
        return None if found is None else found[1]


def find_project_file(start: Path) -> Path | None:
    """The nearest envkeep.toml in ``start`` or one of its parents."""
    for directory in (start, *start.parents):
        candidate = directory / FILENAME
        if candidate.is_file():
            return candidate
    return None


def _syntax_error(error: Exception, where: str) -> ParseError:
    """tomllib's error at its line, with its column (``Invalid value (at line 2, column 15)``:
    most often a string left unquoted), and what TOML wants."""
    said, _, at = str(error).partition(" (at ")
    column = re.search(r"column (\d+)", at)
    return ParseError(
        f"{said} (column {column[1]})" if column else str(error),
        line=_line_of(error),
        source=where,
        hint='fix the TOML syntax there: strings are quoted (default_env = "dev"), lists are'
        ' ["dev", "prod"], a service is a [services.NAME] table',
    )


def _line_of(error: Exception) -> int | None:
    match = re.search(r"line (\d+)", str(error))
    return int(match.group(1)) if match else None


def _str(table: dict[str, object], key: str, where: str) -> str | None:
    value = table.get(key)
    if value is None or isinstance(value, str):
        return value
    raise InputError(f"{where}: '{key}' must be a string", hint='quote it, e.g. key = "value"')


def _str_list(table: dict[str, object], key: str, where: str) -> tuple[str, ...]:
    value = table.get(key, [])
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return tuple(str(v) for v in value)
    raise InputError(f"{where}: '{key}' must be a list of strings", hint='e.g. key = ["a", "b"]')


def _service(name: str, table: object, where: str) -> ServiceEntry:
    if not isinstance(table, dict):
        raise InputError(f"{where}: [services.{name}] must be a table")
    here = f"{where} [services.{name}]"
    schema = table.get("schema")
    if schema is not None and not isinstance(schema, str | dict):
        raise InputError(f"{here}: 'schema' must be a path or a table")
    return ServiceEntry(
        name=name,
        path=_str(table, "path", here),
        schema=schema if isinstance(schema, str) else None,
        schema_table=schema if isinstance(schema, dict) else None,
        templates=_str_list(table, "templates", here),
        health_url=_str(table, "health_url", here),
    )


def parse_project_file(text: str, root: Path) -> ProjectFile:
    """Parse the text of an envkeep.toml found in ``root``."""

    where = str(root / FILENAME)
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise _syntax_error(error, where) from None
    _refuse_unknown_keys(data, text.split("\n"), where)
    project = _str(data, "project", where)
    if not project:
        raise InputError(f"{where}: 'project' is missing", hint='add: project = "NAME"')
    services = data.get("services", {})
    if not isinstance(services, dict):
        raise InputError(f"{where}: [services] must be a table")
    return ProjectFile(
        project=project,
        root=root,
        default_env=_str(data, "default_env", where) or "dev",
        environments=_str_list(data, "environments", where),
        services=tuple(_service(name, table, where) for name, table in services.items()),
        server=_str(data, "server", where),
        workspace=_str(data, "workspace", where),
    )


def _refuse_unknown_keys(data: Mapping[str, object], lines: Sequence[str], where: str) -> None:
    """Refuse a key envkeep does not know, at the top level or in a service's table.

    An error, not a warning: a misspelt key reads as one left out, and what it leaves out is
    often a check. ``schmea =`` leaves the service without a schema, so ``set`` and
    ``validate`` accept any value; ``template =`` drops the service's templates. A warning on
    stderr goes unseen in CI and scrolls past at a terminal while the check stays off; the
    error costs one edit of the file, and a command refused writes nothing.
    """
    _refuse_unknown(data, TOP_KEYS, section="", headers=(), lines=lines, where=where)
    services = data.get("services")
    if isinstance(services, dict):  # else _service and parse_project_file say what is wrong
        for name, table in services.items():
            if isinstance(table, dict):
                section = f"[services.{toml_key(name)}]"
                headers = service_header_keys(name)
                _refuse_unknown(
                    table, SERVICE_KEYS, section=section, headers=headers, lines=lines, where=where
                )


def _refuse_unknown(
    table: Mapping[str, object],
    known: tuple[str, ...],
    *,
    section: str,
    headers: Collection[str],
    lines: Sequence[str],
    where: str,
) -> None:
    """A ParseError for the first key of ``table`` not in ``known``, at its line when the text
    shows it; ``section`` names the table (empty: the top level) and ``headers`` are its
    header keys (`_tomltext.key_line`)."""
    key = next((key for key in table if key not in known), None)
    if key is None:
        return
    close = difflib.get_close_matches(key, known, n=1)
    said = f"{section} has an unknown key" if section else "unknown top-level key"
    guess = did_you_mean_aside(close)
    fix = f"rename it to {close[0]!r}" if close else "remove it"
    raise ParseError(
        f"{said} {key[:40]!r}{guess}",
        line=key_line(lines, headers, key),
        source=where,
        hint=f"{fix}; the keys of {section or 'the top level'}: {', '.join(known)}",
    )


def load_project_file(path: Path) -> ProjectFile:
    """Read and parse an envkeep.toml."""
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise InputError(f"{path} is not UTF-8 text", hint="save it as UTF-8") from None
    return parse_project_file(text, path.parent)


def service_header_keys(name: str) -> set[str]:
    """The header keys of ``[services.NAME]``, bare or quoted."""
    return {f"services.{name}", f"services.{toml_string(name)}"}
