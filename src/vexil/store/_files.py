"""The data directory and the SQLite files: for their owner's eyes only, whatever the umask.

The database holds token hashes and the whole configuration, so the directory is 0700 and the
database file 0600, on creation and every time they are opened (a file left 0644 by an older
version, or copied in by hand, is tightened). SQLite creates the write-ahead log (`-wal`) and the
shared-memory index (`-shm`) with the mode of the database file itself, so they follow; those left
from an earlier run are tightened here too. Only what this user owns is changed: a directory shared
by others (the sticky bit, as `/tmp` has) or someone else's file is left alone, with a warning.
"""

from __future__ import annotations

import logging
import os
import stat
from pathlib import Path

__all__ = ["private_directory", "private_sqlite_files"]

log = logging.getLogger("vexil.store")

OTHERS = 0o077  # the group's and everyone else's permission bits
SQLITE_COMPANIONS = ("-wal", "-shm", "-journal")


def _tighten(path: Path, owner_bits: int) -> None:
    try:
        info = path.stat()
    except FileNotFoundError:
        return
    mode = stat.S_IMODE(info.st_mode)
    wanted = (mode & ~OTHERS) | owner_bits
    if mode == wanted:
        return
    if info.st_uid != os.geteuid() or (stat.S_ISDIR(info.st_mode) and mode & stat.S_ISVTX):
        log.warning("%s is open to other users (mode %o) and not Vexil's to change", path, mode)
        return
    os.chmod(path, wanted)


def private_directory(path: Path) -> None:
    """Create `path` (with any missing parents) readable by its owner only, or tighten it to that."""
    path.mkdir(parents=True, exist_ok=True)
    _tighten(path, 0o700)


def private_sqlite_files(database: Path) -> None:
    """Create the database file 0600 if it is new (SQLite takes an empty file as a new database),
    and tighten it and its companion files if they exist."""
    os.close(os.open(database, os.O_RDWR | os.O_CREAT, 0o600))
    for path in (database, *(database.with_name(database.name + suffix) for suffix in SQLITE_COMPANIONS)):
        _tighten(path, 0o600)
