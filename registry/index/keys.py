"""The index's maps from random 32-byte keys to rows: appended first, merged later (issue 18).

Commitments are hashes, so a B-tree keyed by them takes every new key at a random place. Once
such a tree is far larger than one sync step, each step's commit dirties about one page for every
key it adds and writes all of them to the WAL: the index's cost per filing grew with the ledger
(7 µs at 30,000 filings, 32 µs at 3.7 M; BENCHMARKS.md). Here each map is three tables of the same
shape, a small log-structured merge:

- level 0 takes the step's new keys. It is small (at most :data:`LEVEL0_ROWS` and a step), so the
  pages a step dirties are at most its whole size, shared by thousands of keys;
- when level 0 is full it is moved into level 1 in key order, which dirties each page of level 1
  once for :data:`LEVEL0_ROWS` keys;
- level 1 is moved into level 2 (the rest of the map) one slice of the key space at a time: every
  step moves the next slices (the keys whose first byte is in a range), about as many keys as the
  step added, so level 1 stays near :data:`LEVEL1_ROWS` rows and each step rewrites a contiguous
  run of level 2's pages, not pages all over the file.

What the merges need between steps (keys added in this step, keys in level 0, the slices owed
and the next one) is in the table ``key_levels``, in the same transactions. A key is in exactly
one level at every commit, and a view over the three (``record_keys``,
``claim_keys``) is what every query reads: SQLite pushes the ``WHERE`` of a lookup into each table
and flattens the view into joins, so a lookup is three primary-key searches. Moving keys between
levels never changes what the view holds, and two indexes of the same chain compare equal through
it (:meth:`registry.index.queries.IndexQueries.dump`) whatever their merge history.

Measured on 4 M random keys in 8,000-key commits (the bench's step), SQLite alone: one keyed
table 14 → 60 µs a key from the first to the last 100,000, 167 s in all; these three levels
10 → 17–20 µs, 70 s.

The levels hold the first :data:`PREFIX_BYTES` bytes of each commitment, not all 32: the whole
commitment is already in the row the key points to (``records.commitment``, ``claims.earlier``),
and the view joins that row and compares it, so a lookup is still exact. Two keys sharing a prefix
are two rows of a level (the row id is part of its primary key) and the join tells them apart.
The map took 49 + 34 bytes a filing with whole commitments (dbstat, 300,000 filings of the bench)
and takes 24 fewer for each key with prefixes. A lookup names the prefix and the whole value,
``prefix = substr(?1, 1, 8) AND commitment = ?1``: the prefix is what the levels are searched by.
An office can write commitments that share another office's prefix (they are any 32 bytes), but
no more cheaply than it can write claims on that very commitment: a shared prefix costs a lookup
one more row read, as a claim does.
"""

from __future__ import annotations

import math
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Final

__all__ = [
    "CLAIM_KEYS",
    "LEVEL0_ROWS",
    "LEVEL1_ROWS",
    "PREFIX_BYTES",
    "RECORD_KEYS",
    "RECORD_SEQ",
    "KeyMap",
    "add_claim_keys",
    "add_record_keys",
    "delete_keys_from",
    "merge_keys",
    "prefix_in",
    "prefixes",
    "schema",
]

#: Keys in level 0 before it is moved into level 1.
LEVEL0_ROWS: Final = 65_536
#: The size level 1 is kept near by moving slices of it into level 2.
LEVEL1_ROWS: Final = 1_048_576
_SLICES = 256  # slices of the key space: the keys whose first byte is one value


#: Bytes of a commitment kept in the levels (``substr(x, 1, 8)`` in SQL): 2⁶⁴ prefixes, so two
#: records of 20 M share one with a chance of about 10⁻⁵, and then cost one more row read.
PREFIX_BYTES: Final = 8


#: The seq of one office's record of one commitment (parameters: commitment, office): the point lookup
#: in ``record_keys``, by the prefix the levels are searched by and the whole commitment.
RECORD_SEQ: Final = "SELECT seq FROM record_keys WHERE prefix = substr(?1, 1, 8) AND commitment = ?1 AND office = ?2"


@dataclass(frozen=True)
class KeyMap:
    """One map: ``view`` over the tables ``view_0`` … ``view_2``, keyed by the prefix of ``key`` then ``then``.

    Each level holds (``prefix``, ``then``, ``row``); the view joins ``table`` on ``row`` for the whole ``key``.
    """

    view: str
    key: str
    then: str
    row: str
    table: str

    @property
    def columns(self) -> str:
        """The columns of each level's table (the claim id is both the tie-break and the row)."""
        return ", ".join(dict.fromkeys(("prefix", self.then, self.row)))

    def level(self, n: int) -> str:
        return f"{self.view}_{n}"


#: ``records``: (commitment, office) → seq; a record is unique per office and commitment.
RECORD_KEYS: Final = KeyMap("record_keys", "commitment", "office", "seq", "records")
#: ``claims``: (earlier commitment, claim id); many claims may name the same earlier application.
CLAIM_KEYS: Final = KeyMap("claim_keys", "earlier", "id", "id", "claims")


def schema() -> str:
    """The ``CREATE`` statements of both maps (tables and views), for :mod:`registry.index.schema`."""
    parts = [
        "CREATE TABLE IF NOT EXISTS key_levels (map TEXT PRIMARY KEY, added INTEGER NOT NULL,"
        " level0 INTEGER NOT NULL, credit REAL NOT NULL, cursor INTEGER NOT NULL) WITHOUT ROWID"
    ]
    for keys in (RECORD_KEYS, CLAIM_KEYS):
        parts.append(f"INSERT OR IGNORE INTO key_levels VALUES ('{keys.view}', 0, 0, 0.0, 0)")  # noqa: S608
        if keys.then != keys.row:  # (prefix, office, seq): the seq tells apart two records sharing a prefix
            columns = f"prefix BLOB NOT NULL, {keys.then} TEXT NOT NULL, {keys.row} INTEGER NOT NULL"
        else:
            columns = f"prefix BLOB NOT NULL, {keys.then} INTEGER NOT NULL"
        for n in range(3):
            parts.append(
                f"CREATE TABLE IF NOT EXISTS {keys.level(n)} ({columns}, PRIMARY KEY ({keys.columns})) WITHOUT ROWID"
            )
        arms = []
        for n in range(3):
            level = keys.level(n)
            shown = ", ".join(f"{level}.{name}" for name in dict.fromkeys((keys.then, keys.row)))
            arms.append(
                f"SELECT {level}.prefix, t.{keys.key}, {shown} FROM {level}"  # noqa: S608
                f" JOIN {keys.table} t ON t.{keys.row} = {level}.{keys.row}"
            )
        parts.append(f"CREATE VIEW IF NOT EXISTS {keys.view} AS {' UNION ALL '.join(arms)}")
    return ";\n".join(parts) + ";\n"


def prefix_in(count: int) -> str:
    """``prefix IN (?, …)`` for ``count`` parameters: the condition on a map's view for a bulk lookup.

    It finds every row whose key shares its prefix with one of the values (:func:`prefixes`), and each row
    carries its whole key: the caller keeps the rows of the keys it asked for. Not ``substr()`` of each value
    and a second ``IN`` of whole keys in SQL: with 500 values, that statement is ~15,000 instructions over the
    three levels, and preparing one for every batch's last, shorter chunk cost more than the lookups (bench,
    1 M filings: index 55.5 → 68.7 µs a filing).
    """
    return f"prefix IN ({','.join('?' * count)})"


def prefixes(values: Iterable[bytes]) -> list[bytes]:
    """The prefixes the levels are searched by, for the parameters of :func:`prefix_in`."""
    return [value[:PREFIX_BYTES] for value in values]


def add_record_keys(db: sqlite3.Connection, rows: list[tuple[bytes, str, int]]) -> None:
    """Add (commitment, office, seq) of new records, none of them already in the map."""
    db.executemany(
        "INSERT INTO record_keys_0 (prefix, office, seq) VALUES (?, ?, ?)",
        [(c[:PREFIX_BYTES], o, s) for c, o, s in rows],
    )
    _count(db, RECORD_KEYS, len(rows))


def add_claim_keys(db: sqlite3.Connection, rows: list[tuple[bytes, int]]) -> None:
    """Add (earlier commitment, claim id) of new claims."""
    db.executemany("INSERT INTO claim_keys_0 (prefix, id) VALUES (?, ?)", [(e[:PREFIX_BYTES], i) for e, i in rows])
    _count(db, CLAIM_KEYS, len(rows))


def merge_keys(db: sqlite3.Connection) -> None:
    """Move keys down the levels for what this step added (at the end of a sync step, inside it)."""
    for keys in (RECORD_KEYS, CLAIM_KEYS):
        added, level0, credit, cursor = _state(db, keys)
        if not added:
            continue
        level0 += added
        if level0 >= LEVEL0_ROWS:
            # A scan of level 0 is in key order: level 1 takes the keys in order, page after page.
            db.execute(f"INSERT INTO {keys.level(1)} SELECT {keys.columns} FROM {keys.level(0)}")  # noqa: S608
            db.execute(f"DELETE FROM {keys.level(0)}")  # noqa: S608
            level0 = 0
        # Slices of level 1 go to level 2 at the pace keys arrive: level 1 stays near LEVEL1_ROWS.
        credit += _SLICES * added / LEVEL1_ROWS
        slices = min(math.floor(credit), _SLICES)
        for low, high in _ranges(cursor, slices) if slices else ():
            where, bounds = _slice("prefix", low, high)
            moved = f"SELECT {keys.columns} FROM {keys.level(1)} WHERE {where}"  # noqa: S608
            db.execute(f"INSERT INTO {keys.level(2)} {moved}", bounds)
            db.execute(f"DELETE FROM {keys.level(1)} WHERE {where}", bounds)  # noqa: S608
        _set_state(db, keys, level0, credit - slices, (cursor + slices) % _SLICES)


def delete_keys_from(db: sqlite3.Connection, first_seq: int | None, first_claim: int) -> None:
    """Delete the keys of the records from ``first_seq`` and the claims from ``first_claim`` on.

    Before those rows are deleted (a reorganisation, :mod:`registry.index.sync`): each key is found
    by the row's own value, in whichever level it is.
    """
    doomed = (
        (RECORD_KEYS, "SELECT substr(commitment, 1, 8), office, seq FROM records WHERE seq >= ?", first_seq),
        (CLAIM_KEYS, "SELECT substr(earlier, 1, 8), id FROM claims WHERE id >= ?", first_claim),
    )
    for keys, rows, first in doomed:
        if first is not None:
            for n in range(3):
                doomed_keys = f"({keys.columns}) IN ({rows})"
                db.execute(f"DELETE FROM {keys.level(n)} WHERE {doomed_keys}", (first,))  # noqa: S608
        _, _, credit, cursor = _state(db, keys)
        level0 = int(db.execute(f"SELECT count(*) FROM {keys.level(0)}").fetchone()[0])  # noqa: S608
        _set_state(db, keys, level0, credit, cursor)


def _count(db: sqlite3.Connection, keys: KeyMap, n: int) -> None:
    if n:
        db.execute("UPDATE key_levels SET added = added + ? WHERE map = ?", (n, keys.view))


def _state(db: sqlite3.Connection, keys: KeyMap) -> tuple[int, int, float, int]:
    """(added this step, keys in level 0, slice credit, next slice) of one map."""
    row = db.execute("SELECT added, level0, credit, cursor FROM key_levels WHERE map = ?", (keys.view,)).fetchone()
    return int(row[0]), int(row[1]), float(row[2]), int(row[3])


def _set_state(db: sqlite3.Connection, keys: KeyMap, level0: int, credit: float, cursor: int) -> None:
    db.execute(
        "UPDATE key_levels SET added = 0, level0 = ?, credit = ?, cursor = ? WHERE map = ?",
        (level0, credit, cursor, keys.view),
    )


def _ranges(cursor: int, slices: int) -> list[tuple[int, int]]:
    """The first-byte ranges [low, high) of ``slices`` slices from ``cursor``, wrapping at the end."""
    high = cursor + slices
    if high <= _SLICES:
        return [(cursor, high)]
    return [(cursor, _SLICES), (0, high - _SLICES)]


def _slice(column: str, low: int, high: int) -> tuple[str, list[bytes]]:
    """The condition on ``column`` (a BLOB, compared bytewise) for first bytes in [low, high)."""
    if low == 0 and high == _SLICES:
        return "1", []
    if high == _SLICES:
        return f"{column} >= ?", [bytes([low])]
    if low == 0:
        return f"{column} < ?", [bytes([high])]
    return f"{column} >= ? AND {column} < ?", [bytes([low]), bytes([high])]
