"""Errors for unknown projects, environments and services that name what exists."""

from __future__ import annotations

from envkeep.core.errors import EnvironmentNotFound, ProjectNotFound, ServiceNotFound


def _names(names: list[str]) -> str:
    return ", ".join(sorted(names)) or "none yet"


def project_not_found(name: str, existing: list[str]) -> ProjectNotFound:
    """The error for an unknown project, naming those that exist."""
    return ProjectNotFound(
        f"project '{name}' not found (projects: {_names(existing)})",
        hint=f"create it with: envkeep init {name}",
    )


def environment_not_found(name: str, project: str, existing: list[str]) -> EnvironmentNotFound:
    """The error for an unknown environment, naming those that exist."""
    return EnvironmentNotFound(
        f"environment '{name}' not found in project '{project}' (envs: {_names(existing)})",
        hint=f"create it with: envkeep env create {name}",
    )


def service_not_found(name: str, project: str, existing: list[str]) -> ServiceNotFound:
    """The error for an unknown service, naming those that exist."""
    return ServiceNotFound(
        f"service '{name}' not found in project '{project}' (services: {_names(existing)})",
        hint=f"add it with: envkeep service add {name} --path PATH",
    )
