"""An in-process benchmark: resolve and validate a large project with envkeep's pure functions.

The synthetic project has 100 services; each sees 200 variables: 35 from the shared scope, 5
shared names it sets again, and 160 of its own, of six types (int, port, url, enum, bool,
string), a third of them required. About one value in ten holds a reference: ``${NAME}`` in
the same service, ``${svc.NAME}`` in the next service, or a shared value that itself refers to
another shared one. Some problems are planted, so that validation has findings to make.

The baseline builds the same final dicts in plain Python: ``{**shared, **own}`` from values
expanded in advance, and an ``isinstance`` check of each value.
"""

from __future__ import annotations

import sys
from collections import Counter
from dataclasses import dataclass
from typing import TYPE_CHECKING

from _timing import Call
from _workspace import Case
from envkeep.core.resolve import Layer, resolve_each
from envkeep.core.schema import FieldSpec, Schema
from envkeep.core.validate import validate_values

if TYPE_CHECKING:
    from _workspace import Workspace
    from envkeep.core.resolve import Resolution
    from envkeep.core.validate import Finding

SERVICES = 100
SHARED = 40  # shared-scope names
OVERRIDDEN = 5  # the last shared names, which every service sets again in its own scope
OWN = 160  # each service's own names: VAR_000 …
VARIABLES = SHARED + OWN  # what each service sees

_TYPES = ("int", "port", "url", "enum", "bool", "string")
_LEVELS = ("debug", "info", "warning", "error")
_HOST = "VAR_005"  # a service's host name: its URLs and the next service refer to it
_BASE_URL = "https://shared.example.internal"
_FILLER = "abcdefghijklmnopqrstuvwxyz0123456789"

# Planted problems, per rule: what validate_values must find across the project.
_BAD_INT = 10  # VAR_000 = "not-a-number" in every tenth service
_UNRESOLVED = 2  # VAR_149 = "${NOT_SET_ANYWHERE}" in every fiftieth service
_MISSING = 4  # a required REQUIRED_URL in the schema of every 25th service, never set
_UNKNOWN = SERVICES  # VAR_159 is set by every service and in no schema (a warning)
EXPECTED_FINDINGS = {
    "type": _BAD_INT,
    "unresolved": _UNRESOLVED,
    "missing": _MISSING,
    "unknown": _UNKNOWN,
}


@dataclass(frozen=True)
class Project:
    """The subject's input (layer stacks, schemas) and the baseline's (expanded dicts)."""

    stacks: dict[str, tuple[Layer, ...]]
    schemas: dict[str, Schema]
    shared: dict[str, str]  # expanded
    own: dict[str, dict[str, str]]  # expanded, per service


def _service(index: int) -> str:
    return f"svc{index:03d}"


def _literal(number: int) -> str:
    return (f"literal-{number:06d}-" + _FILLER)[:40]


def _host(index: int) -> str:
    return f"{_service(index)}.example.internal"


def _shared() -> tuple[dict[str, str], dict[str, str]]:
    """The shared scope, raw and expanded: every fifth value refers to SHARED_00."""
    raw: dict[str, str] = {}
    expanded: dict[str, str] = {}
    for k in range(SHARED):
        name = f"SHARED_{k:02d}"
        if k == 0:
            raw[name] = expanded[name] = _BASE_URL
        elif k % 5 == 1:
            raw[name], expanded[name] = "${SHARED_00}" + f"/k{k}", f"{_BASE_URL}/k{k}"
        else:
            raw[name] = expanded[name] = _literal(k)
    return raw, expanded


def _planted(index: int, j: int) -> str | None:
    if j == 0 and index % (SERVICES // _BAD_INT) == 0:
        return "not-a-number"
    if j == 149 and index % (SERVICES // _UNRESOLVED) == 0:
        return "${NOT_SET_ANYWHERE}"  # an unresolved reference keeps its raw value
    return None


def _reference(index: int, j: int) -> tuple[str, str] | None:
    """(raw, expanded) for the values that hold references, else None."""
    if j % 12 == 2:  # a url built from this service's host and the port just before it
        port = "${VAR_" + f"{j - 1:03d}" + "}"
        return f"https://${{{_HOST}}}:{port}/api", f"https://{_host(index)}:{1024 + j - 1}/api"
    if j % 30 == 11:  # a string from the next service's host
        other = (index + 1) % SERVICES
        return f"${{{_service(other)}.{_HOST}}}:{j}", f"{_host(other)}:{j}"
    if j % 30 == 17:  # a string from a shared value that is itself a reference
        return "${SHARED_01}" + f"/{j}", f"{_BASE_URL}/k1/{j}"
    return None


def _plain(index: int, j: int) -> str:
    type_name = _TYPES[j % len(_TYPES)]
    if j == 5:
        return _host(index)
    values = {
        "int": str(j * 37),
        "port": str(1024 + j),
        "url": f"https://{_host(index)}/v{j}",
        "enum": _LEVELS[j % len(_LEVELS)],
        "bool": "true" if j % 12 == 4 else "false",
    }
    return values.get(type_name) or _literal(index * OWN + j)


def _own_value(index: int, j: int) -> tuple[str, str]:
    """(raw, expanded) of VAR_j in service ``index``."""
    planted = _planted(index, j)
    if planted is not None:
        return planted, planted
    reference = _reference(index, j)
    if reference is not None:
        return reference
    value = _plain(index, j)
    return value, value


def _schema(index: int) -> Schema:
    fields = [
        FieldSpec(
            f"VAR_{j:03d}",
            type=_TYPES[j % len(_TYPES)],
            required=j % 3 == 0,
            choices=_LEVELS if _TYPES[j % len(_TYPES)] == "enum" else (),
        )
        for j in range(OWN - 1)  # the last one is in no schema
    ]
    fields += [FieldSpec(f"SHARED_{k:02d}") for k in range(SHARED - OVERRIDDEN, SHARED)]
    if index % (SERVICES // _MISSING) == 0:
        fields.append(FieldSpec("REQUIRED_URL", type="url", required=True))
    return Schema(tuple(fields), source=f"{_service(index)}/.env.example")


def build_project() -> Project:
    """The synthetic project, built once, outside the timing."""
    shared_raw, shared = _shared()
    stacks: dict[str, tuple[Layer, ...]] = {}
    own: dict[str, dict[str, str]] = {}
    for index in range(SERVICES):
        name = _service(index)
        pairs = [_own_value(index, j) for j in range(OWN)]
        raw = {f"VAR_{j:03d}": value for j, (value, _) in enumerate(pairs)}
        own[name] = {f"VAR_{j:03d}": value for j, (_, value) in enumerate(pairs)}
        for k in range(SHARED - OVERRIDDEN, SHARED):
            raw[f"SHARED_{k:02d}"] = own[name][f"SHARED_{k:02d}"] = f"{name}-override-{k}"
        stacks[name] = (Layer("shared", shared_raw), Layer(f"service:{name}", raw))
    schemas = {_service(index): _schema(index) for index in range(SERVICES)}
    return Project(stacks, schemas, shared, own)


def resolve_and_validate(project: Project) -> tuple[dict[str, Resolution], list[Finding]]:
    """The subject: each service validated as soon as it is resolved, as `envkeep validate --all`
    does (`envkeep.client.validation.check_services`)."""
    resolutions: dict[str, Resolution] = {}
    findings: list[Finding] = []
    for name, resolution in resolve_each(project.stacks):
        resolutions[name] = resolution
        findings += validate_values(
            resolution.values,
            project.schemas[name],
            service=name,
            unresolved=resolution.errors,
            own=resolution.set_by({f"service:{name}"}),
        )
    return resolutions, findings


def merge_plainly(project: Project) -> dict[str, dict[str, str]]:
    """The baseline: the same final dicts, merged in plain Python, each value checked."""
    finals: dict[str, dict[str, str]] = {}
    for name, own in project.own.items():
        final = {**project.shared, **own}
        if not all(isinstance(value, str) for value in final.values()):
            raise TypeError(f"a value of {name} is not a string")
        finals[name] = final
    return finals


def _check(project: Project) -> None:
    """Exit unless the subject does the real work: the baseline's dicts, the planted findings."""
    resolutions, findings = resolve_and_validate(project)
    finals = merge_plainly(project)
    wrong = [name for name, final in finals.items() if resolutions[name].values != final]
    if wrong or len(resolutions) != SERVICES:
        sys.exit(f"bench: resolve_project gave other values than expected, e.g. for {wrong[:1]}")
    spot = {
        ("svc001", "VAR_011"): "svc002.example.internal:11",
        ("svc099", "VAR_041"): "svc000.example.internal:41",
        ("svc007", "VAR_014"): "https://svc007.example.internal:1037/api",
        ("svc042", "VAR_017"): f"{_BASE_URL}/k1/17",
        ("svc042", "SHARED_01"): f"{_BASE_URL}/k1",
        ("svc042", "SHARED_39"): "svc042-override-39",
    }
    for (service, name), value in spot.items():
        if resolutions[service].values.get(name) != value:
            sys.exit(f"bench: {service} resolved {name} wrongly")
    if any(len(resolution.values) != VARIABLES for resolution in resolutions.values()):
        sys.exit(f"bench: a service does not see {VARIABLES} variables")
    found = Counter(finding.rule for finding in findings)
    if found != Counter(EXPECTED_FINDINGS):
        sys.exit(f"bench: validate_values found {dict(found)}, expected {EXPECTED_FINDINGS}")


def prepare_resolve_validate(_ws: Workspace) -> Case:
    """Resolve + validate the synthetic project in this process, against plain dict merging
    (the workspace is not needed: nothing touches the store)."""
    project = build_project()
    _check(project)
    return Case(
        subject=Call("resolve+validate", lambda: resolve_and_validate(project)),
        baseline=Call("plain dicts", lambda: merge_plainly(project)),
    )
