"""How long a SQLite connection waits for another's write lock before SQLITE_BUSY: the
server's engines (`engine`) and the online copy (`backup`, which loads no SQLAlchemy) alike.
A module of its own, importing nothing, so that either can take it."""

# A reader of the copy rarely needs the lock: only to open a WAL database whose -shm is
# being rebuilt; a writer waits this long for another's transaction to end.
BUSY_TIMEOUT_MS = 10_000
