"""The table both write floors fill: raw sqlite3's rows (``server-writes``' baseline) and the
hello-world's ``POST /rows`` (``server-writes-floor``), one row a write of one variable."""

ROW_TABLE = """
CREATE TABLE IF NOT EXISTS secret_version (
    id TEXT PRIMARY KEY,
    environment_id TEXT NOT NULL,
    scope TEXT NOT NULL,
    name_index BLOB NOT NULL,
    name_ct BLOB NOT NULL,
    value_ct BLOB NOT NULL,
    signature BLOB NOT NULL,
    created_at TEXT NOT NULL
)
"""
