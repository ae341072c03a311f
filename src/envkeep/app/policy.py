"""Roles and how they are inherited: pure, so it can be property-tested.

Roles are ordered admin > write > read. A binding at workspace scope covers every project and
environment in it; a binding at project scope covers that project's environments. Deny by
default: no binding that covers the target means no access.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Iterable


class Role(IntEnum):
    READ = 1
    WRITE = 2
    ADMIN = 3

    @classmethod
    def parse(cls, text: str) -> Role:
        """``"admin"`` → ``Role.ADMIN``; ValueError for anything else."""
        return cls[text.upper()]

    def __str__(self) -> str:
        return self.name.lower()


@dataclass(frozen=True)
class Binding:
    """A role held by a principal at one scope."""

    role: Role
    workspace_id: str
    project_id: str | None = None
    environment_id: str | None = None


@dataclass(frozen=True)
class Target:
    """What an action touches: a workspace, a project in it, or an environment of that project."""

    workspace_id: str
    project_id: str | None = None
    environment_id: str | None = None


def covers(binding: Binding, target: Target) -> bool:
    """Whether a binding's scope contains the target."""
    if binding.workspace_id != target.workspace_id:
        return False
    if binding.project_id is None:
        return True
    if binding.project_id != target.project_id:
        return False
    return binding.environment_id is None or binding.environment_id == target.environment_id


def effective_role(bindings: list[Binding], target: Target) -> Role | None:
    """The highest role any binding grants on the target, or None."""
    roles = [b.role for b in bindings if covers(b, target)]
    return max(roles) if roles else None


def reads_audit_of(bindings: list[Binding], target: Target) -> bool:
    """Whether the audit events of ``target`` are the caller's to read: the whole trail for a
    workspace, the events whose project it is for a project; an admin over it may. An
    environment's admin reads none (the trail is kept per project, and a project's holds its
    other environments' and its members')."""
    return target.environment_id is None and effective_role(bindings, target) == Role.ADMIN


def common_project(targets: Iterable[Target]) -> str | None:
    """The project every target lies in (an audit event's, for a token's roles); None when
    one is workspace-wide, they span projects, or there are none."""
    projects = {t.project_id for t in targets}
    return projects.pop() if len(projects) == 1 else None


def reaches(binding: Binding, target: Target) -> bool:
    """Whether a binding's scope and the target are one inside the other: the binding covers
    the target, or lies within it (a role on one environment reaches into its project and
    workspace). What a principal may see the names of: its own scopes and those around them."""
    if covers(binding, target):
        return True
    around = Binding(binding.role, target.workspace_id, target.project_id, target.environment_id)
    return covers(around, Target(binding.workspace_id, binding.project_id, binding.environment_id))
