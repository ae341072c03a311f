"""Kubernetes manifests of resolved values: a ``Secret`` (values base64-encoded) or a
``ConfigMap`` (values as they are), refused with a UsageError where Kubernetes would refuse
the object (a name, a key, the 1 MiB limit), and the name an export takes without --name."""

from __future__ import annotations

import base64
import re
from typing import TYPE_CHECKING

from envkeep.core.errors import UsageError
from envkeep.integrations._yaml_nodes import dump_yaml, yaml_mapping, yaml_scalar

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from yaml.nodes import Node

# The formats that write a Kubernetes manifest, by the kind of object each makes.
K8S_KINDS: dict[str, str] = {"k8s": "Secret", "k8s-configmap": "ConfigMap"}
_K8S_KEY = re.compile(r"[-._a-zA-Z0-9]+")
# The most a Secret's or a ConfigMap's values may add up to (bytes).
_K8S_MAX_BYTES = 1024 * 1024
_DNS_LABEL = r"[a-z0-9](?:[-a-z0-9]*[a-z0-9])?"
_DNS_LABEL_RE = re.compile(_DNS_LABEL)
_DNS_SUBDOMAIN_RE = re.compile(rf"{_DNS_LABEL}(?:\.{_DNS_LABEL})*")


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
    return _k8s_manifest("Secret", encoded, name, namespace, [("type", yaml_scalar("Opaque"))])


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
    metadata: list[tuple[str, Node]] = [("name", yaml_scalar(object_name))]
    if namespace is not None:
        _require_dns_name(namespace, "namespace", _DNS_LABEL_RE, 63)
        metadata.append(("namespace", yaml_scalar(namespace)))
    for key in data:
        _require_k8s_key(key, kind)
    pairs = yaml_mapping((k, yaml_scalar(data[k], quoted=True)) for k in sorted(data))
    manifest = yaml_mapping(
        [
            ("apiVersion", yaml_scalar("v1")),
            ("kind", yaml_scalar(kind)),
            ("metadata", yaml_mapping(metadata)),
            *extra,
            ("data", pairs),
        ]
    )
    return dump_yaml(manifest)


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
