"""Rendering resolved values for other tools: dotenv, JSON, YAML, shell, docker, Kubernetes
Secrets and ConfigMaps, CI files.

Each format either writes text that its reader turns back into exactly the same values, or
raises ``UsageError`` naming the variable it cannot express and saying which format can. No
message ever contains a value. ``yaml`` is imported inside the functions that need it: this
module is imported when the CLI starts.
"""

from __future__ import annotations

import base64
import json
import re
import secrets
from typing import TYPE_CHECKING

from envkeep.core.dotenv import is_valid_name, render_dotenv
from envkeep.core.errors import UsageError

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Mapping, Sequence

    from yaml.nodes import MappingNode, Node, ScalarNode

__all__ = [
    "EXPORTERS",
    "K8S_KINDS",
    "default_secret_name",
    "export",
    "secret_name_for",
    "to_docker",
    "to_dotenv",
    "to_github",
    "to_gitlab",
    "to_json",
    "to_k8s_configmap",
    "to_k8s_secret",
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

# The formats that write a Kubernetes manifest, by the kind of object each makes.
K8S_KINDS: dict[str, str] = {"k8s": "Secret", "k8s-configmap": "ConfigMap"}

_ANY_VALUE_HINT = "use --format dotenv or json, which hold any value"
_SHELL_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_K8S_KEY = re.compile(r"[-._a-zA-Z0-9]+")
# The longest line docker's env-file reader takes (bufio.Scanner's 64 KiB, the newline in it).
_DOCKER_MAX_LINE = 64 * 1024 - 1
# The most a Secret's or a ConfigMap's values may add up to (bytes).
_K8S_MAX_BYTES = 1024 * 1024
_DNS_LABEL = r"[a-z0-9](?:[-a-z0-9]*[a-z0-9])?"
_DNS_LABEL_RE = re.compile(_DNS_LABEL)
_DNS_SUBDOMAIN_RE = re.compile(rf"{_DNS_LABEL}(?:\.{_DNS_LABEL})*")
# Ruby's String#strip, which GitLab applies to every dotenv value.
_RUBY_SPACE = " \t\n\v\f\r\x00"

_YAML_STR = "tag:yaml.org,2002:str"
_YAML_MAP = "tag:yaml.org,2002:map"
_YAML_PLAIN = re.compile(r"[A-Za-z_][A-Za-z0-9_.-]*")
# Words that YAML 1.1 loaders (PyYAML, Go's yaml.v2 behind kubectl) read as booleans or null.
_YAML_WORDS = frozenset({"y", "n", "yes", "no", "on", "off", "true", "false", "null"})


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
    An unknown format names the known ones. Every format lists names sorted, so that the same
    values give the same text from either store, whatever order they were written in.
    """
    values = dict(sorted(values.items()))
    if fmt == "k8s":
        return to_k8s_secret(values, name=name, namespace=namespace)
    if fmt == "k8s-configmap":
        return to_k8s_configmap(values, name=name, namespace=namespace)
    renderer = _RENDERERS.get(fmt)
    if renderer is None:
        file = "." in fmt or "/" in fmt  # `-f .env`: a file where -f means the format
        raise UsageError(
            f"unknown export format '{fmt}'"
            + (" (-f is --format here; a file to write goes after -o)" if file else ""),
            hint=f"use one of: {', '.join(EXPORTERS)}",
        )
    if name is not None or namespace is not None:
        raise UsageError(
            "a name or namespace only applies to --format k8s or k8s-configmap",
            hint="drop --name and --namespace, or use --format k8s or k8s-configmap",
        )
    return renderer(values)


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
    return _dump_yaml(
        _yaml_mapping((k, _yaml_scalar(values[k], quoted=True)) for k in sorted(values))
    )


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


def to_k8s_secret(
    values: Mapping[str, str], *, name: str | None = None, namespace: str | None = None
) -> str:
    """A Kubernetes ``Secret`` manifest (type Opaque) with ``values`` base64-encoded in ``data``.

    ``name`` defaults to ``envkeep``; it must be a DNS-1123 subdomain (at most 253 lowercase
    letters, digits, '-' and '.'), ``namespace`` a DNS-1123 label (at most 63, no '.').
    Keys are sorted and must match ``[-._a-zA-Z0-9]+``, and the values add up to at most
    1 MiB, as Kubernetes requires.
    """
    _require_k8s_size(values, "Secret")
    encoded = {key: _base64(value) for key, value in values.items()}
    return _k8s_manifest("Secret", encoded, name, namespace, [("type", _yaml_scalar("Opaque"))])


def to_k8s_configmap(
    values: Mapping[str, str], *, name: str | None = None, namespace: str | None = None
) -> str:
    """A Kubernetes ``ConfigMap`` manifest with ``values`` in ``data``, as they are.

    Each value is a double-quoted YAML string (escapes for line breaks, control characters,
    quotes and backslashes), so ``yes``, ``0123``, ``null`` or ``""`` stay the strings they
    are for Kubernetes' YAML 1.1 reader, as for ``yaml.safe_load``. Name, namespace and keys
    as for `to_k8s_secret`. A ConfigMap is not encrypted: which values may go in one is the
    caller's choice (`client/export_secrets`).
    """
    _require_k8s_size(values, "ConfigMap")
    return _k8s_manifest("ConfigMap", values, name, namespace, [])


def _k8s_manifest(
    kind: str,
    data: Mapping[str, str],
    name: str | None,
    namespace: str | None,
    extra: list[tuple[str, Node]],
) -> str:
    """``apiVersion``, ``kind``, ``metadata`` (name, namespace), ``extra``, then ``data``
    (keys sorted, every value double-quoted): a ``v1`` object of ``kind``."""
    object_name = "envkeep" if name is None else name
    _require_dns_name(object_name, f"{kind} name", _DNS_SUBDOMAIN_RE, 253)
    metadata: list[tuple[str, Node]] = [("name", _yaml_scalar(object_name))]
    if namespace is not None:
        _require_dns_name(namespace, "namespace", _DNS_LABEL_RE, 63)
        metadata.append(("namespace", _yaml_scalar(namespace)))
    for key in data:
        _require_k8s_key(key, kind)
    pairs = _yaml_mapping((k, _yaml_scalar(data[k], quoted=True)) for k in sorted(data))
    manifest = _yaml_mapping(
        [
            ("apiVersion", _yaml_scalar("v1")),
            ("kind", _yaml_scalar(kind)),
            ("metadata", _yaml_mapping(metadata)),
            *extra,
            ("data", pairs),
        ]
    )
    return _dump_yaml(manifest)


def secret_name_for(text: str) -> str:
    """A Kubernetes Secret name made from a service or project name: lowercase, each run of
    other characters a '-', at most 63 characters (``Billing_API`` → ``billing-api``);
    ``envkeep`` when nothing is left."""
    name = re.sub(r"[^a-z0-9]+", "-", text.lower())[:63].strip("-")
    return name or "envkeep"


def default_secret_name(
    project: str, services: Sequence[str], service: str | None, *, kind: str = "Secret"
) -> str:
    """The name a k8s export (a Secret, or the ConfigMap of ``kind`` ``ConfigMap``) takes
    without ``--name``: the service's, or ``PROJECT-shared`` for the shared scope; a
    UsageError when another scope of the project would get the same name (``billing_api`` and
    ``billing-api``), so that applying both exports never replaces one object by the other."""
    scopes: dict[str | None, str] = {None: f"{project}-shared"}
    scopes.update((name, name) for name in services)
    mine = secret_name_for(scopes.get(service, service or ""))
    clash = [
        other or "the shared scope"
        for other, text in scopes.items()
        if other != service and secret_name_for(text) == mine
    ]
    if clash:
        raise UsageError(
            f"the default {kind} name '{mine}' is also the name for {clash[0]}",
            hint="choose one with --name",
        )
    return mine


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


def _require_dns_name(text: str, what: str, pattern: re.Pattern[str], limit: int) -> None:
    if len(text) > limit or pattern.fullmatch(text) is None:
        allowed = "'-' and '.'" if pattern is _DNS_SUBDOMAIN_RE else "'-'"
        raise UsageError(
            f"invalid Kubernetes {what} '{text}'",
            hint=f"use at most {limit} lowercase letters, digits and {allowed}, "
            "starting and ending with a letter or digit",
        )


def _require_k8s_key(key: str, kind: str) -> None:
    # Kubernetes' IsConfigMapKey, which Secrets use too.
    if len(key) > 253 or _K8S_KEY.fullmatch(key) is None or key == "." or key.startswith(".."):
        raise UsageError(
            f"'{key}' cannot be a key of a Kubernetes {kind}",
            hint="keys use letters, digits, '-', '_' and '.' (at most 253; not '.', nor '..'"
            " first); rename the variable",
        )


def _require_k8s_size(values: Mapping[str, str], kind: str) -> None:
    # Kubernetes refuses a Secret or ConfigMap whose values add up to more than 1 MiB
    # (corev1.MaxSecretSize; a Secret's counted decoded): `kubectl apply` would fail on it.
    size = sum(len(value.encode()) for value in values.values())
    if size > _K8S_MAX_BYTES:
        raise UsageError(
            f"the {kind} would hold {size:,} bytes; Kubernetes refuses one over"
            f" {_K8S_MAX_BYTES:,} (1 MiB)",
            hint="split the values over several objects (export each service on its own), or"
            " keep large files (certificates, bundles) in a volume and their path in a variable",
        )


def _base64(value: str) -> str:
    return base64.b64encode(value.encode("utf-8")).decode("ascii")


def _yaml_scalar(text: str, *, quoted: bool = False) -> ScalarNode:
    import yaml

    plain = (
        not quoted and _YAML_PLAIN.fullmatch(text) is not None and text.lower() not in _YAML_WORDS
    )
    return yaml.ScalarNode(_YAML_STR, text, style=None if plain else '"')


def _yaml_mapping(pairs: Iterable[tuple[str, Node]]) -> MappingNode:
    import yaml

    items = [(_yaml_scalar(key), node) for key, node in pairs]
    return yaml.MappingNode(_YAML_MAP, items, flow_style=False)


def _dump_yaml(node: Node) -> str:
    import yaml

    # No width limit: a long value stays on one line instead of being folded.
    return yaml.serialize(node, Dumper=yaml.SafeDumper, allow_unicode=True, width=float("inf"))
