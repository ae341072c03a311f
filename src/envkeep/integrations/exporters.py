"""Rendering resolved values for other tools: dotenv, JSON, YAML, shell, docker, Kubernetes
Secrets and ConfigMaps (`k8s_manifests`), CI files.

Each format either writes text that its reader turns back into exactly the same values, or
raises ``UsageError`` naming the variable it cannot express and saying which format can. No
message ever contains a value. ``yaml`` is imported inside the functions that need it
(`_yaml_nodes`): this module is imported when the CLI starts.
"""

from __future__ import annotations

import json
import re
import secrets
from typing import TYPE_CHECKING

from envkeep.core.did_you_mean import did_you_mean
from envkeep.core.dotenv import is_valid_name, render_dotenv
from envkeep.core.errors import UsageError
from envkeep.core.near_names import suggestions
from envkeep.integrations._yaml_nodes import dump_yaml, yaml_mapping, yaml_scalar
from envkeep.integrations.k8s_manifests import to_k8s_configmap, to_k8s_secret

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping


__all__ = [
    "EXPORTERS",
    "FORMAT_ALIASES",
    "export",
    "format_named",
    "format_names",
    "to_docker",
    "to_dotenv",
    "to_github",
    "to_gitlab",
    "to_json",
    "to_shell",
    "to_yaml",
]

EXPORTERS: tuple[str, ...] = (
    "dotenv",
    "json",
    "yaml",
    "shell",
    "docker",
    "k8s",
    "k8s-configmap",
    "github",
    "gitlab",
)

# Another name a format is read by (Doppler's `--format env`; `k8s-secret`, which DESIGN.md
# gives for CI and Kubernetes); completion offers envkeep's names only.
FORMAT_ALIASES: dict[str, str] = {"env": "dotenv", "k8s-secret": "k8s"}
# Names other tools and their docs give a format, too far from envkeep's for the matcher to
# guess: an unknown format's hint names envkeep's, but the format is still refused (one name
# per format beside the aliases above).
_NAMES_ELSEWHERE: dict[str, str] = {
    "kubernetes": "k8s",
    "kubernetes-secret": "k8s",
    "secret": "k8s",
    "kubernetes-configmap": "k8s-configmap",
    "sh": "shell",
    "bash": "shell",
    # Infisical's `export KEY=value` lines; the matcher would guess dotenv, which has no `export`.
    "dotenv-export": "shell",
    # Doppler's unquoted KEY=value lines, as docker --env-file reads them.
    "env-no-quotes": "docker",
    "github-actions": "github",
    "gitlab-ci": "gitlab",
}

_ANY_VALUE_HINT = "use --format dotenv or json, which hold any value"
_SHELL_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
# The longest line docker's env-file reader takes (bufio.Scanner's 64 KiB, the newline in it).
_DOCKER_MAX_LINE = 64 * 1024 - 1
# Ruby's String#strip, which GitLab applies to every dotenv value.
_RUBY_SPACE = " \t\n\v\f\r\x00"


def export(
    values: Mapping[str, str],
    fmt: str,
    *,
    name: str | None = None,
    namespace: str | None = None,
) -> str:
    """Render ``values`` in format ``fmt`` (one of ``EXPORTERS``).

    ``name`` and ``namespace`` label the Kubernetes object of ``k8s`` (a Secret) and
    ``k8s-configmap`` (a ConfigMap) and are refused with any other format rather than ignored.
    An unknown format is refused (`format_named`). Every format lists names sorted, so that the same
    values give the same text from either store, whatever order they were written in.
    """
    values = dict(sorted(values.items()))
    fmt = format_named(fmt)
    if fmt == "k8s":
        return to_k8s_secret(values, name=name, namespace=namespace)
    if fmt == "k8s-configmap":
        return to_k8s_configmap(values, name=name, namespace=namespace)
    renderer = _RENDERERS[fmt]
    if name is not None or namespace is not None:
        raise UsageError(
            "a name or namespace only applies to --format k8s or k8s-configmap",
            hint="drop --name and --namespace, or use --format k8s or k8s-configmap",
        )
    return renderer(values)


def format_named(fmt: str) -> str:
    """The format ``fmt`` names (``env`` is ``dotenv``, ``k8s-secret`` is ``k8s``); a
    UsageError naming the known ones, the one it most likely mistypes first
    (`core.near_names`, as for an environment), for any other."""
    fmt = FORMAT_ALIASES.get(fmt, fmt)
    if fmt in EXPORTERS:
        return fmt
    known = f"use one of: {', '.join(format_names())}"
    if "." in fmt or "/" in fmt:  # `-f .env`: a file where -f means the format
        raise UsageError(
            f"unknown export format '{fmt}' (-f is --format here; a file to write goes after -o)",
            hint=known,
        )
    named = {**_NAMES_ELSEWHERE, **FORMAT_ALIASES}
    # `suggestions` leaves out the name itself: another tool's name, typed as it is, is looked up
    close = [fmt] if fmt in named else suggestions(fmt, [*EXPORTERS, *named], limit=1)
    meant = did_you_mean([named.get(name, name) for name in close])
    raise UsageError(f"unknown export format '{fmt}'", hint=f"{meant} {known}" if meant else known)


def format_names() -> list[str]:
    """The formats as a user is told of them, each with another tool's name for it that is
    read as it: ``dotenv (or env)``."""
    aliases = {fmt: alias for alias, fmt in FORMAT_ALIASES.items()}
    return [f"{fmt} (or {aliases[fmt]})" if fmt in aliases else fmt for fmt in EXPORTERS]


def to_dotenv(values: Mapping[str, str]) -> str:
    """A .env file (envkeep's own dotenv renderer: it parses back to the same values)."""
    return render_dotenv(values)


def to_json(values: Mapping[str, str]) -> str:
    """A flat JSON object, keys sorted."""
    return json.dumps(dict(values), indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def to_yaml(values: Mapping[str, str]) -> str:
    """A flat YAML mapping, keys sorted, every value a double-quoted string.

    Quoting keeps ``on``, ``0012`` or ``null`` strings; ``yaml.safe_load`` gives back exactly
    ``values``. Names are quoted too when a YAML 1.1 loader could read them as something else.
    """
    return dump_yaml(yaml_mapping((k, yaml_scalar(values[k], quoted=True)) for k in sorted(values)))


def to_shell(values: Mapping[str, str]) -> str:
    """``export NAME='value'`` lines for ``eval``; names a shell cannot hold are refused."""
    bad = [name for name in values if not _SHELL_NAME.fullmatch(name)]
    if bad:
        raise UsageError(
            f"'{bad[0]}' cannot be a shell variable name",
            hint="use --format dotenv or json for names with '.' or '-'",
        )
    for name, value in values.items():
        _refuse_nul(name, value)
    return "".join(f"export {k}={_shell_quote(v)}\n" for k, v in values.items())


def to_docker(values: Mapping[str, str]) -> str:
    """``NAME=value`` lines for ``docker run --env-file``.

    Docker takes the rest of the line after ``=`` as the value, quotes and backslashes
    included, so values are written raw; a value with a line break cannot be expressed, nor
    a line over 65,535 bytes, which docker refuses ("token too long").
    """
    for name, value in values.items():
        _require_name(name, is_valid_name(name), "docker --env-file")
        _refuse_nul(name, value)
        _refuse_line_break(name, value, "docker --env-file", hint=_ANY_VALUE_HINT)
        if len(f"{name}={value}".encode()) > _DOCKER_MAX_LINE:
            raise UsageError(
                f"the line of '{name}' would be over {_DOCKER_MAX_LINE:,} bytes, the longest"
                " docker --env-file reads",
                hint=_ANY_VALUE_HINT,
            )
    return "".join(f"{name}={value}\n" for name, value in values.items())


def to_github(values: Mapping[str, str], *, new_delimiter: Callable[[], str] | None = None) -> str:
    """Lines for ``$GITHUB_ENV``: ``NAME=value``, or a heredoc for a multi-line value.

    The heredoc form is ``NAME<<ghadelim_<hex>``, the value, then the delimiter alone on a
    line; the delimiter is random and drawn again until it does not occur in the value, so a
    value cannot end the heredoc early and inject variables. ``new_delimiter`` replaces the
    random source (tests).
    """
    draw = _random_delimiter if new_delimiter is None else new_delimiter
    for name, value in values.items():
        _require_name(name, is_valid_name(name), "a GitHub Actions env file")
        _refuse_nul(name, value)
    return "".join(_github_entry(name, value, draw) for name, value in values.items())


def to_gitlab(values: Mapping[str, str]) -> str:
    """``NAME=value`` lines for a GitLab CI ``artifacts:reports:dotenv`` file.

    GitLab reads each line raw but strips the value, and accepts neither multi-line values
    nor names other than ``[A-Za-z_][A-Za-z0-9_]*``: a variable it would change or reject is
    refused.
    """
    target = "a GitLab dotenv report"
    hint = "pass it as a CI/CD variable instead, or use --format json"
    for name, value in values.items():
        _require_name(name, _SHELL_NAME.fullmatch(name) is not None, target)
        _refuse_nul(name, value)
        _refuse_line_break(name, value, target, hint=hint)
        if value != value.strip(_RUBY_SPACE):
            raise UsageError(
                f"the value of '{name}' starts or ends with whitespace, which {target} strips",
                hint=hint,
            )
    return "".join(f"{name}={value}\n" for name, value in values.items())


_RENDERERS: dict[str, Callable[[Mapping[str, str]], str]] = {
    "dotenv": to_dotenv,
    "json": to_json,
    "yaml": to_yaml,
    "shell": to_shell,
    "docker": to_docker,
    "github": to_github,
    "gitlab": to_gitlab,
}


def _shell_quote(value: str) -> str:
    return "'" + value.replace("'", "'\"'\"'") + "'"


def _require_name(name: str, valid: bool, target: str) -> None:
    if not valid:
        raise UsageError(
            f"'{name}' cannot be a variable name in {target}",
            hint="rename the variable, or use --format dotenv or json",
        )


def _refuse_nul(name: str, value: str) -> None:
    if "\x00" in value:
        raise UsageError(
            f"the value of '{name}' contains a NUL character, "
            "which no environment variable can hold",
            hint="use --format json",
        )


def _refuse_line_break(name: str, value: str, target: str, *, hint: str) -> None:
    # A lone CR counts: docker and GitLab would drop it at the end of a line.
    if "\n" in value or "\r" in value:
        raise UsageError(
            f"the value of '{name}' spans several lines, which {target} cannot hold", hint=hint
        )


def _github_entry(name: str, value: str, draw: Callable[[], str]) -> str:
    if "\n" not in value:
        return f"{name}={value}\n"
    delimiter = draw()
    while delimiter in value:
        delimiter = draw()
    return f"{name}<<{delimiter}\n{value}\n{delimiter}\n"


def _random_delimiter() -> str:
    return f"ghadelim_{secrets.token_hex(16)}"
