"""What a client command works with: settings, the unlocked identity, the project file, and
the backend — each made on first use, so a command pays only for what it touches."""

from __future__ import annotations

from functools import cached_property
from typing import TYPE_CHECKING

from envkeep.client.identity import Identity, PassphrasePrompt, load_or_create
from envkeep.client.verified import VerifiedSignatures
from envkeep.core.errors import UsageError
from envkeep.core.projectfile import FILENAME, ProjectFile, find_project_file, load_project_file

if TYPE_CHECKING:
    from pathlib import Path

    from envkeep.client.backend import Backend
    from envkeep.settings import Settings


class ClientContext:
    """One command's view of the world."""

    def __init__(
        self, settings: Settings, cwd: Path, prompt: PassphrasePrompt | None = None
    ) -> None:
        self.settings = settings
        self.cwd = cwd
        self._prompt = prompt
        self._backend: Backend | None = None

    @cached_property
    def identity(self) -> Identity:
        return load_or_create(self.settings, self._prompt)

    @property
    def backend(self) -> Backend:
        if self._backend is None:
            from envkeep.client.local import LocalBackend

            self._backend = LocalBackend(self.settings.database_path, self.identity)
        return self._backend

    @cached_property
    def verified(self) -> VerifiedSignatures:
        """The identity's cache of signatures it has already checked."""
        path = self.settings.home / "cache" / "verified-signatures"
        return VerifiedSignatures(path, self.identity.keys)

    @cached_property
    def project_file(self) -> ProjectFile:
        path = find_project_file(self.cwd)
        if path is None:
            raise UsageError(
                f"no {FILENAME} found in {self.cwd} or its parents",
                hint="create a project with: envkeep init NAME",
            )
        return load_project_file(path)

    def default_env(self, env: str | None) -> str:
        """The environment named on the command line, else the project's default."""
        return env or self.project_file.default_env

    def close(self) -> None:
        if self._backend is not None:
            self._backend.close()
