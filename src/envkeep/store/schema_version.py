"""The head migration revision, as a constant so that the fast read path can check a database
without importing Alembic (a test keeps it equal to the migrations' real head)."""

from __future__ import annotations

HEAD_REVISION = "0011"
