"""Projects, services and environments: their snapshots, writes and history.
Bytes travel as base64url text."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydantic import Field

from envkeep.api.encoding import B64
from envkeep.api.schemas._body import Body
from envkeep.api.schemas.accounts import Principal

if TYPE_CHECKING:
    from pydantic import GetJsonSchemaHandler
    from pydantic.json_schema import JsonSchemaValue
    from pydantic_core import CoreSchema


class SecretWrite(Body):
    secret_id: str = Field(max_length=36)
    scope: str = Field(max_length=64)
    name_index: B64
    expected_version: int = Field(ge=0)
    key_version: int = Field(ge=0)
    name_ct: B64
    value_ct: B64 | None
    signature: B64


class NewEnvironment(Body):
    id: str = Field(max_length=36)
    name: str = Field(max_length=63)
    sealed_share: B64
    key_version: int = 1
    writes: list[SecretWrite] = []


class NewProject(Body):
    name: str = Field(max_length=63)
    environments: list[NewEnvironment]


class Project(Body):
    id: str
    workspace_id: str
    name: str


class ProjectCreated(Body):
    project: Project
    environments: list[str]


class NewService(Body):
    name: str = Field(max_length=63)
    path: str | None = None
    schema_path: str | None = None


class Service(Body):
    id: str
    project_id: str
    name: str
    path: str | None
    schema_path: str | None
    health_url: str | None


class Environment(Body):
    id: str
    project_id: str
    name: str
    key_version: int
    revision: int
    protected: bool
    description: str | None
    former_holders: int = 0  # hold the current key without access now: rotate it


class EnvironmentChange(Body):
    rename: str | None = None
    description: str | None = None
    protected: bool | None = None


class Share(Body):
    environment_id: str
    key_version: int
    recipient_id: str
    sharer: Principal
    sealed: B64


class Version(Body):
    secret_id: str
    scope: str
    version: int
    key_version: int
    name_ct: B64
    value_ct: B64 | None
    author_id: str
    signature: B64
    created_at: str


class Secret(Body):
    id: str
    scope: str
    name_index: B64
    current: Version


class Snapshot(Body):
    project: Project
    environment: Environment
    services: list[Service]
    shares: list[Share]
    secrets: list[Secret]
    authors: list[Principal]
    role: str | None = None  # the reader's role on the environment (None: an older server)


class Writes(Body):
    writes: list[SecretWrite] = Field(max_length=20_000)
    confirmed: bool = False


class Revision(Body):
    revision: int


class Written(Revision):
    """A write's answer: the new revision, and the written versions' time as a snapshot shows
    it (None: an older server's answer, which the client still reads: `kept_writes` fetches
    the copy it keeps again)."""

    written_at: str | None = None

    @classmethod
    def __get_pydantic_json_schema__(
        cls, core_schema: CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        """As an answer (``/openapi.json``), ``written_at`` is a string and required: this
        server always sends it (`routes_secrets.write_batch`)."""
        schema = super().__get_pydantic_json_schema__(core_schema, handler)
        if handler.mode == "serialization":
            schema["properties"]["written_at"] = {"title": "Written At", "type": "string"}
            schema["required"] = [*schema.get("required", []), "written_at"]
        return schema


class History(Body):
    versions: list[Version]
    authors: list[Principal]


class VersionsAt(History):
    """The version each variable of one scope held at a time (none for one created later),
    with their authors: a scope's history in one answer (`rollback --to-time`)."""
