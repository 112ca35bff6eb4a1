"""What happened in the families of an office's applications, after a cursor (docs/api.md#notifications).

Who is told of what is decided by the index as it projects each block
(:mod:`registry.index.notifications`); this module pages through it for one office.

**The cursor** is :data:`CURSOR_DIGITS` lowercase hex digits: the block number (12), the event's
position among the contract's events in that block (5, the index's own count, the same on every
node: :mod:`registry.index.sync`) and the notification's item within the event (8: the entry of a
batch, twice, plus one for a second notification of the same event). So it is made from chain
positions alone — the same at every gateway and after every rebuild of the index — and it sorts as
the chain does, as text and as a number. The cursor of nothing (:data:`START`, all zeros) comes
before every event: block 0 is the genesis block, where the registry cannot have emitted one.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

from registry import errors
from registry.index import Index, IndexedNotification
from registry.index.schema import position, split_position

__all__ = [
    "CURSOR_DIGITS",
    "DEFAULT_LIMIT",
    "MAX_LIMIT",
    "MAX_WAIT_SECONDS",
    "START",
    "NotificationPage",
    "cursor_of",
    "page",
    "parse_cursor",
]

#: A page holds at most this many notifications, 100 unless asked otherwise.
MAX_LIMIT: Final = 1_000
DEFAULT_LIMIT: Final = 100
#: A long poll waits at most this long for something new.
MAX_WAIT_SECONDS: Final = 30

_BLOCK_DIGITS, _EVENT_DIGITS, _ITEM_DIGITS = 12, 5, 8
CURSOR_DIGITS: Final = _BLOCK_DIGITS + _EVENT_DIGITS + _ITEM_DIGITS
#: The cursor before every notification.
START: Final = "0" * CURSOR_DIGITS
_CURSOR = re.compile(f"[0-9a-f]{{{CURSOR_DIGITS}}}")
_MAX_BLOCK = (1 << 63 >> 20) - 1  # a chain position is a signed 64-bit SQLite integer (block << 20 | n)


def cursor_of(position_in_chain: int, item: int) -> str:
    """The cursor of the notification ``item`` of the event at chain position ``position_in_chain``."""
    block, n = split_position(position_in_chain)
    return f"{block:0{_BLOCK_DIGITS}x}{n:0{_EVENT_DIGITS}x}{item:0{_ITEM_DIGITS}x}"


def parse_cursor(text: str, *, target: str = "after") -> tuple[int, int]:
    """The (chain position, item) of a cursor; 422 ``badFormat`` at ``target`` when it is not one."""
    if not _CURSOR.fullmatch(text) or int(text[:_BLOCK_DIGITS], 16) > _MAX_BLOCK:
        raise errors.InvalidInput(
            f"{target} is not a notification cursor: {CURSOR_DIGITS} lowercase hex digits, as given in `cursor`"
            " or `next`",
            code="badFormat",
            target=target,
        )
    block = int(text[:_BLOCK_DIGITS], 16)
    n = int(text[_BLOCK_DIGITS : _BLOCK_DIGITS + _EVENT_DIGITS], 16)
    return position(block, n), int(text[_BLOCK_DIGITS + _EVENT_DIGITS :], 16)


@dataclass(frozen=True)
class NotificationPage:
    """One page of an office's notifications, in chain order, and the cursor to ask after next."""

    notifications: tuple[IndexedNotification, ...]
    next: str


def page(
    index: Index,
    office: str,
    after: str | None,
    limit: int = DEFAULT_LIMIT,
    retrieved: Sequence[tuple[str, bytes, int]] = (),
) -> NotificationPage:
    """``office``'s notifications after the cursor ``after`` (None: from the start), at most ``limit``.

    ``retrieved``: the (holder office, commitment, version) of the priority documents ``office`` retrieved, as
    this gateway logged them (:meth:`registry.service.priority_documents.PackageBook.retrieved_by`): each later
    package version of one of them is a ``priorityDocumentAmended`` for ``office`` as well, at the amendment's
    position (docs/api.md#notifications: DAS tells it by e-mail).

    ``next`` is the last one's cursor, or ``after`` itself (:data:`START` without one) when nothing is
    new, so a client always asks again with ``next``.
    """
    if not 1 <= limit <= MAX_LIMIT:
        raise errors.InvalidInput(f"limit must be 1 to {MAX_LIMIT}", code="invalidValue", target="limit")
    point = None if after is None else parse_cursor(after)
    told = index.notifications(office, point, limit)
    amended = [
        n
        for holder, commitment, version in retrieved
        for n in index.document_versions_after(holder, commitment, version)
        if point is None or (n.position, n.item) > point
    ]
    if amended:
        merged = {(n.position, n.item): n for n in [*told, *amended]}  # one per cursor
        told = [merged[key] for key in sorted(merged)][:limit]
    found = tuple(told)
    last = cursor_of(found[-1].position, found[-1].item) if found else (after or START)
    return NotificationPage(found, last)
