"""``envkeep.toml``: the committable project file (no secrets), found by walking up.

project = "shop"
default_env = "dev"

[services.api]
path = "services/api"
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from envkeep.core.errors import InputError, ParseError

if TYPE_CHECKING:
    from pathlib import Path

FILENAME = "envkeep.toml"
_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")


@dataclass(frozen=True)
class ServiceEntry:
    name: str
    path: str | None = None
    schema: str | None = None


@dataclass(frozen=True)
class ProjectFile:
    """The parsed project file and where it was found."""

    project: str
    root: Path
    default_env: str = "dev"
    services: tuple[ServiceEntry, ...] = field(default=())

    @property
    def path(self) -> Path:
        return self.root / FILENAME

    def with_service(self, entry: ServiceEntry) -> ProjectFile:
        kept = tuple(s for s in self.services if s.name != entry.name)
        return replace(self, services=(*kept, entry))

    def without_service(self, name: str) -> ProjectFile:
        return replace(self, services=tuple(s for s in self.services if s.name != name))


def find_project_file(start: Path) -> Path | None:
    """The nearest envkeep.toml in ``start`` or one of its parents."""
    for directory in (start, *start.parents):
        candidate = directory / FILENAME
        if candidate.is_file():
            return candidate
    return None


def _line_of(error: Exception) -> int | None:
    match = re.search(r"line (\d+)", str(error))
    return int(match.group(1)) if match else None


def _str(table: dict[str, object], key: str, where: str) -> str | None:
    value = table.get(key)
    if value is None or isinstance(value, str):
        return value
    raise InputError(f"{where}: '{key}' must be a string", hint='quote it, e.g. key = "value"')


def parse_project_file(text: str, root: Path) -> ProjectFile:
    """Parse the text of an envkeep.toml found in ``root``."""
    import tomllib

    where = str(root / FILENAME)
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise ParseError(str(error).split(" (at")[0], line=_line_of(error), source=where) from None
    project = _str(data, "project", where)
    if not project:
        raise InputError(f"{where}: 'project' is missing", hint='add: project = "NAME"')
    services = data.get("services", {})
    if not isinstance(services, dict):
        raise InputError(f"{where}: [services] must be a table")
    entries = []
    for name, table in services.items():
        if not isinstance(table, dict):
            raise InputError(f"{where}: [services.{name}] must be a table")
        entries.append(ServiceEntry(name, _str(table, "path", where), _str(table, "schema", where)))
    return ProjectFile(project, root, _str(data, "default_env", where) or "dev", tuple(entries))


def load_project_file(path: Path) -> ProjectFile:
    """Read and parse an envkeep.toml."""
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise InputError(f"{path} is not UTF-8 text") from None
    return parse_project_file(text, path.parent)


def _toml_string(value: str) -> str:
    return json.dumps(value, ensure_ascii=False)  # a JSON string is a valid TOML basic string


def _toml_key(key: str) -> str:
    return key if _BARE_KEY.fullmatch(key) else _toml_string(key)


def render_project_file(project: ProjectFile) -> str:
    """The TOML text of a project file."""
    lines = [
        "# envkeep project file: safe to commit, it holds no secrets.",
        f"project = {_toml_string(project.project)}",
        f"default_env = {_toml_string(project.default_env)}",
    ]
    for service in sorted(project.services, key=lambda s: s.name):
        lines += ["", f"[services.{_toml_key(service.name)}]"]
        if service.path is not None:
            lines.append(f"path = {_toml_string(service.path)}")
        if service.schema is not None:
            lines.append(f"schema = {_toml_string(service.schema)}")
    return "\n".join(lines) + "\n"
