"""A small SQLite file of the state directory that every process of a gateway shares.

The nonces seen between gateways (:mod:`registry.service.gateway_requests`) and the reports a
gateway holds with their accesses (:mod:`registry.service.reports`) are written by whichever
worker process takes the request (``prioreg serve --workers N``), so each lives in one SQLite file
opened the same way: autocommit (each statement its own transaction, or an explicit ``BEGIN``),
WAL so that readers never wait for a writer, and a busy timeout so that two writers queue instead
of failing. One connection per object, shared by its threads under the caller's lock.
"""

from __future__ import annotations

import datetime as _dt
import sqlite3
from pathlib import Path

__all__ = ["now_text", "open_shared"]

#: How long a writer waits for another process's transaction, in seconds.
BUSY_SECONDS = 10.0


def open_shared(path: Path | str) -> sqlite3.Connection:
    """``path`` (created when missing; ``":memory:"`` for an app without a state directory), set up to share."""
    db = sqlite3.connect(str(path), timeout=BUSY_SECONDS, isolation_level=None, check_same_thread=False)
    if str(path) != ":memory:":
        db.execute("PRAGMA journal_mode=WAL")
    db.execute(f"PRAGMA busy_timeout={int(BUSY_SECONDS * 1000)}")
    return db


def now_text() -> str:
    """Now, as these books write the time of an access: RFC 3339 UTC to the second (docs/api.md#conventions)."""
    return _dt.datetime.now(_dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
