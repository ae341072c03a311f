"""Every foreign key leads an index (migration 0013): without one, following the reference
backwards (a service's removal cascading to its secrets, an environment's to its role bindings,
a login finding its user's sessions) reads the whole referencing table."""

from __future__ import annotations

import warnings
from typing import TYPE_CHECKING

from alembic import command
from sqlalchemy import inspect

from envkeep.store.migrate import _config, upgrade

if TYPE_CHECKING:
    from collections.abc import Sequence

    from sqlalchemy import Engine

# What migration 0013 indexed: the foreign keys nothing led with before it.
BEFORE_0013 = {
    "data_key_shares.recipient_id",
    "data_key_shares.sharer_id",
    "ended_roles.workspace_id",
    "ended_roles.project_id",
    "ended_roles.environment_id",
    "invites.workspace_id",
    "invites.project_id",
    "invites.environment_id",
    "role_bindings.workspace_id",
    "role_bindings.project_id",
    "role_bindings.environment_id",
    "secret_versions.author_id",
    "secrets.service_id",
    "sessions.principal_id",
}


def _leads(columns: Sequence[str | None], key: Sequence[str]) -> bool:
    """Whether an index's first columns are the key's (in any order)."""
    return set(columns[: len(key)]) == set(key)


def _uncovered_foreign_keys(engine: Engine) -> set[str]:
    """``table.columns`` of each foreign key that no primary key, unique constraint or index
    starts with, as the database itself reports them."""
    inspector = inspect(engine)
    uncovered = set()
    with warnings.catch_warnings():
        # The role bindings' scope index is on expressions, which SQLAlchemy does not reflect;
        # its plain first column is the principal's, which a unique constraint leads anyway.
        warnings.filterwarnings("ignore", "Skipped unsupported reflection of expression-based")
        for table in inspector.get_table_names():
            leading: list[Sequence[str | None]] = [
                inspector.get_pk_constraint(table)["constrained_columns"]
            ]
            leading += [u["column_names"] for u in inspector.get_unique_constraints(table)]
            leading += [i["column_names"] for i in inspector.get_indexes(table)]
            for key in inspector.get_foreign_keys(table):
                columns = key["constrained_columns"]
                if not any(_leads(index, columns) for index in leading):
                    uncovered.add(f"{table}.{','.join(columns)}")
    return uncovered


def test_every_foreign_key_leads_an_index(engine: Engine) -> None:
    assert _uncovered_foreign_keys(engine) == set()


def test_undoing_migration_0013_drops_exactly_its_indexes(engine: Engine) -> None:
    """Its ``downgrade`` (as an operator would run Alembic by hand) leaves the schema as 0012
    made it, and migrating again puts every index back."""
    config = _config()
    with engine.connect() as connection, connection.begin():
        config.attributes["connection"] = connection
        command.downgrade(config, "0012")
    assert _uncovered_foreign_keys(engine) == BEFORE_0013
    upgrade(engine)
    assert _uncovered_foreign_keys(engine) == set()
