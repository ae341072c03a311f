"""The text of ``envkeep.toml`` as commands write it: a new project file, and edits in place
(a service's section appended or removed, a setting replaced or added) that keep the comments
and layout a user wrote."""

from __future__ import annotations

import re
import tomllib

from envkeep.core._tomltext import HEADER, header_key, toml_key, toml_string
from envkeep.core.errors import InputError
from envkeep.core.projectfile import ServiceEntry, service_header_keys


def _service_lines(service: ServiceEntry) -> list[str]:
    lines = [f"[services.{toml_key(service.name)}]"]
    for key, value in (
        ("path", service.path),
        ("schema", service.schema),
        ("health_url", service.health_url),
    ):
        if value is not None:
            lines.append(f"{key} = {toml_string(value)}")
    if service.templates:
        lines.append(f"templates = [{', '.join(map(toml_string, service.templates))}]")
    return lines


def render_project_file(
    project: str,
    *,
    default_env: str,
    environments: tuple[str, ...] = (),
    server: str | None = None,
    workspace: str | None = None,
) -> str:
    """The text of a new project file."""
    lines = [
        "# envkeep project file: safe to commit, it holds no secrets.",
        f"project = {toml_string(project)}",
        f"default_env = {toml_string(default_env)}",
    ]
    if server is not None:
        lines.append(f"server = {toml_string(server)}")
    if workspace is not None:
        lines.append(f"workspace = {toml_string(workspace)}")
    if environments:
        lines.append(f"environments = [{', '.join(map(toml_string, environments))}]")
    return "\n".join(lines) + "\n"


def _trimmed(lines: list[str]) -> list[str]:
    """``lines`` without the blank lines at their end."""
    end = len(lines)
    while end and not lines[end - 1].strip():
        end -= 1
    return lines[:end]


def _section_span(lines: list[str], name: str) -> tuple[int, int] | None:
    """Line range of ``[services.NAME]`` and its sub-tables, or None."""
    own = service_header_keys(name)
    start = end = None
    for i, line in enumerate(lines):
        key = header_key(line)
        if key is None:
            continue
        mine = key in own or any(key.startswith(o + ".") for o in own)
        if mine and start is None:
            start = i
        elif not mine and start is not None and end is None:
            end = i
    if start is None:
        return None
    return start, len(lines) if end is None else end


def with_service_section(text: str, service: ServiceEntry) -> str:
    """``text`` with a section for the service appended; unchanged when it has one already
    (what the user wrote there, sub-tables included, wins)."""
    lines = text.splitlines()
    if _section_span(lines, service.name) is not None:
        return text
    return "\n".join([*_trimmed(lines), "", *_service_lines(service)]) + "\n"


def without_service_section(text: str, name: str) -> str:
    """``text`` without the service's section (and its sub-tables)."""
    lines = text.splitlines()
    span = _section_span(lines, name)
    if span is None:
        return text
    start, end = span
    return "\n".join(_trimmed(lines[:start] + lines[end:])) + "\n"


def _table_span(lines: list[str], name: str) -> tuple[int, int] | None:
    """Line range of the ``[services.NAME]`` table itself, up to the next header (its
    sub-tables, such as ``[services.NAME.schema]``, are not part of it), or None."""
    own = service_header_keys(name)
    for i, line in enumerate(lines):
        if header_key(line) in own:
            after = (j for j in range(i + 1, len(lines)) if HEADER.match(lines[j]))
            return i, next(after, len(lines))
    return None


def with_service_setting(text: str, service: str, key: str, value: str | list[str]) -> str:
    """``text`` with ``key = value`` set in the service's own table (replacing a line that
    sets it, or added after the header); the service must have a section. When it has only
    sub-tables (``[services.NAME.schema]``), its own table is added after them."""
    lines = text.splitlines()
    span = _table_span(lines, service)
    if span is None:
        if _section_span(lines, service) is None:
            raise InputError(
                f"envkeep.toml has no [services.{service}] section",
                hint=f"add the service first: envkeep service add {service}",
            )
        own_table = [*_service_lines(ServiceEntry(service)), _setting_line(key, value)]
        return "\n".join([*_trimmed(lines), "", *own_table]) + "\n"
    start, end = span
    return _with_setting(lines, key, value, within=range(start + 1, end), missing_at=start + 1)


def with_top_setting(text: str, key: str, value: str | list[str]) -> str:
    """``text`` with a top-level ``key = value`` replaced in place, or added before the first
    table when missing."""
    lines = text.splitlines()
    first_table = next((i for i, line in enumerate(lines) if HEADER.match(line)), len(lines))
    return _with_setting(
        lines, key, value, within=range(first_table), missing_at=_after_settings(lines, first_table)
    )


def _after_settings(lines: list[str], first_table: int) -> int:
    """Where a new top-level setting goes: after the last line before the first table that is
    no blank and no comment (those belong to the table, or keep it apart), else at the table."""
    end = first_table
    while end and (not lines[end - 1].strip() or lines[end - 1].lstrip().startswith("#")):
        end -= 1
    return end or first_table


def _setting_line(key: str, value: str | list[str]) -> str:
    if isinstance(value, list):
        return f"{key} = [{', '.join(map(toml_string, value))}]"
    return f"{key} = {toml_string(value)}"


def _with_setting(
    lines: list[str], key: str, value: str | list[str], *, within: range, missing_at: int
) -> str:
    """The text of ``lines`` with the line of ``within`` that sets ``key`` replaced (all of
    its value, `_replaced`), or the setting inserted at ``missing_at`` when none does."""
    new_line = _setting_line(key, value)
    setting = re.compile(rf"^\s*{re.escape(key)}\s*=")
    for i in within:
        if setting.match(lines[i]):
            return "\n".join(_replaced(lines, i, new_line)) + "\n"
    lines.insert(missing_at, new_line)
    return "\n".join(lines) + "\n"


def _replaced(lines: list[str], i: int, new_line: str) -> list[str]:
    """``lines`` with the setting that starts on line ``i`` replaced by ``new_line``: all of
    its value, which may run over several lines (an array written one item a line), and a
    comment after it kept."""
    value_start = lines[i].index("=") + 1
    for last in range(i, len(lines)):
        body = [lines[i][value_start:], *lines[i + 1 : last + 1]]
        tail = body[-1]
        for cut in [k for k, char in enumerate(tail) if char == "#"] + [len(tail)]:
            try:
                tomllib.loads("value =" + "\n".join([*body[:-1], tail[:cut]]))
            except tomllib.TOMLDecodeError:
                continue
            comment = tail[cut:]
            if comment:
                spacing = tail[:cut][len(tail[:cut].rstrip()) :] or " "
                new_line = f"{new_line}{spacing}{comment}"
            return [*lines[:i], new_line, *lines[last + 1 :]]
    return [*lines[:i], new_line, *lines[i + 1 :]]  # not TOML as it stands: the line alone
