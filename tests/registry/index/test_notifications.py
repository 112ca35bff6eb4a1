"""Who is told of what, in which order, under which cursor (docs/api.md#notifications).

Everything goes through the real contract on eth-tester: the index projects the events and decides
each office's notifications as it does for a gateway (registry.index.notifications).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

import pytest

from registry import errors
from registry.domain.commitments import commitment as make_commitment
from registry.domain.entries import ClaimRef, Entry
from registry.domain.types import IpRightKind, date_to_days
from registry.index import Index
from registry.index.notifications import NotificationKind
from registry.service.answers import NotificationsOut
from registry.service.notifications import START, cursor_of, page, parse_cursor
from tests.registry.index.support import DAY, STORED, Ledger, c, entry, inclusion, rebuilt, story

K = NotificationKind


def told(index: Index, office: str) -> list[tuple[str, str | None, str]]:
    """(kind, commitment in hex, office) of everything ``office`` is told, in order (pages of 1,000)."""
    out: list[tuple[str, str | None, str]] = []
    after: tuple[int, int] | None = None
    while got := index.notifications(office, after, 1_000):
        out += [(K(n.kind).label, None if n.commitment is None else n.commitment.hex(), n.office) for n in got]
        after = (got[-1].position, got[-1].item)
    return out


def kinds(index: Index, office: str) -> list[str]:
    return [kind for kind, _c, _o in told(index, office)]


def test_own_actions_reach_the_office_and_nobody_else(ledger: Ledger, index: Index) -> None:
    ledger.store("EP", entry("ep-1"))
    ledger.tx(ledger.offices["EP"], "amendFiling", c("ep-1"), date_to_days(DAY) + 1, bytes(32), STORED)
    ledger.tx(ledger.offices["EP"], "anchorReport", c("ep-1"), b"\x11" * 32, 1, date_to_days(DAY) + 2, STORED)
    index.sync()
    assert told(index, "EP") == [
        ("familyMemberAdded", c("ep-1").hex(), "EP"),
        ("filingAmended", c("ep-1").hex(), "EP"),
        ("reportAdded", c("ep-1").hex(), "EP"),
    ]
    assert told(index, "US") == [] and told(index, "JP") == []


def test_a_merger_shows_what_comes_after_it_and_never_what_came_before(ledger: Ledger, index: Index) -> None:
    # Two families: EP's ep-1, and US's us-1 (which nobody else holds yet).
    ledger.store("EP", entry("ep-1"))
    ledger.store("US", entry("us-1", days=30))
    ledger.tx(ledger.offices["US"], "anchorReport", c("us-1"), b"\x22" * 32, 1, date_to_days(DAY) + 31, STORED)
    index.sync()
    assert kinds(index, "EP") == ["familyMemberAdded"]
    # us-1 claims ep-1 after anchoring: the families merge. EP is told of the claim, not of the past.
    ledger.tx(
        ledger.offices["US"], "addPriorityClaim", c("us-1"), (b"EP", c("ep-1"), date_to_days(DAY), bytes(16)), STORED
    )
    ledger.tx(ledger.offices["US"], "amendFiling", c("us-1"), date_to_days(DAY) + 32, bytes(32), STORED)
    index.sync()
    assert told(index, "EP") == [
        ("familyMemberAdded", c("ep-1").hex(), "EP"),
        ("priorityClaimAdded", c("us-1").hex(), "US"),
        ("filingAmended", c("us-1").hex(), "US"),
    ]
    assert kinds(index, "US") == ["familyMemberAdded", "reportAdded", "priorityClaimAdded", "filingAmended"]
    # A new member joining the merged family reaches both offices; and EP's own events reach US now.
    ledger.store("JP", entry("jp-1", days=40, claims=(ClaimRef(c("us-1"), DAY + dt.timedelta(days=32), "US"),)))
    ledger.tx(ledger.offices["EP"], "anchorReport", c("ep-1"), b"\x33" * 32, 2, date_to_days(DAY) + 3, STORED)
    index.sync()
    for office in ("EP", "US", "JP"):
        assert told(index, office)[-2:] == [
            ("familyMemberAdded", c("jp-1").hex(), "JP"),
            ("reportAdded", c("ep-1").hex(), "EP"),
        ], office
    # JP joined late: it sees nothing from before its own filing.
    assert kinds(index, "JP") == ["familyMemberAdded", "reportAdded"]


def test_a_filing_stored_with_its_claims_reaches_the_earlier_office_as_a_batch_does(
    ledger: Ledger, index: Index
) -> None:
    ledger.store("EP", entry("ep-1"))
    ledger.store("US", entry("us-1", days=30, claims=(ClaimRef(c("ep-1"), DAY, "EP"),)))
    ledger.batch("JP", [entry("jp-1", days=31, claims=(ClaimRef(c("ep-1"), DAY, "EP"),)), entry("jp-2", days=31)])
    index.sync()
    assert told(index, "EP") == [
        ("familyMemberAdded", c("ep-1").hex(), "EP"),
        ("familyMemberAdded", c("us-1").hex(), "US"),
        ("familyMemberAdded", c("jp-1").hex(), "JP"),
    ]
    # The claims of version 1 are part of the anchoring: no priorityClaimAdded of their own.
    assert kinds(index, "US") == ["familyMemberAdded", "familyMemberAdded"]
    assert told(index, "JP")[-2:] == [
        ("familyMemberAdded", c("jp-1").hex(), "JP"),
        ("familyMemberAdded", c("jp-2").hex(), "JP"),
    ]


def test_the_first_office_anchoring_late_reaches_the_office_that_claimed_it(ledger: Ledger, index: Index) -> None:
    ledger.store("US", entry("us-1", days=30, claims=(ClaimRef(c("ep-1"), DAY, "EP"),)))
    index.sync()
    assert kinds(index, "EP") == []  # EP holds no record yet: a claim on a number is no record of EP's
    ledger.store("EP", entry("ep-1"))
    index.sync()
    assert told(index, "US")[-1] == ("familyMemberAdded", c("ep-1").hex(), "EP")
    assert told(index, "EP") == [("familyMemberAdded", c("ep-1").hex(), "EP")]


def test_publication_reaches_the_family(ledger: Ledger, index: Index) -> None:
    secret = "0123456789ABCDEF"
    published = make_commitment("EP", "EP99203729", secret)
    ledger.store("EP", Entry(published, IpRightKind.PATENT, DAY))
    ledger.store("US", entry("us-1", days=30, claims=(ClaimRef(published, DAY, "EP"),)))
    ledger.tx(ledger.offices["EP"], "publishFiling", b"EP", "EP99203729", secret, STORED)
    index.sync()
    for office in ("EP", "US"):
        assert told(index, office)[-1] == ("filingPublished", published.hex(), "EP")
    assert told(index, "JP") == []


def test_suspension_reaches_every_office_and_names_no_application(ledger: Ledger, index: Index) -> None:
    ledger.store("EP", entry("ep-1"))
    ledger.tx(ledger.registrar, "suspendOffice", b"JP")
    index.sync()
    for office in ("EP", "US", "JP", "CN"):  # CN: not even admitted
        suspended = [n for n in index.notifications(office, None, 100) if n.kind == K.OFFICE_SUSPENDED]
        assert len(suspended) == 1, office
        assert suspended[0].office == "JP" and suspended[0].commitment is None


def test_order_paging_and_cursors(ledger: Ledger, index: Index) -> None:
    ledger.batch("EP", [entry(f"b{i}") for i in range(7)])
    ledger.tx(ledger.registrar, "suspendOffice", b"US")
    ledger.store("EP", entry("single"))
    index.sync()
    everything = page(index, "EP", None, 1_000)
    cursors = [cursor_of(n.position, n.item) for n in everything.notifications]
    assert cursors == sorted(cursors) and len(set(cursors)) == len(cursors) == 9
    assert [K(n.kind) for n in everything.notifications][-2:] == [K.OFFICE_SUSPENDED, K.FAMILY_MEMBER_ADDED]
    # Pages of 4 give the same sequence; next after the end is echoed back.
    seen: list[str] = []
    after: str | None = None
    while True:
        got = page(index, "EP", after, 4)
        if not got.notifications:
            assert got.next == after
            break
        seen += [cursor_of(n.position, n.item) for n in got.notifications]
        assert got.next == seen[-1]
        after = got.next
    assert seen == cursors
    assert page(index, "JP", None, 10).next != START  # JP sees the suspension
    nothing = page(index, "KR", None, 10)  # an office told only of the suspension
    assert [K(n.kind) for n in nothing.notifications] == [K.OFFICE_SUSPENDED]
    assert page(index, "KR", nothing.next, 10).next == nothing.next
    # A cursor reads back as its chain position.
    first = everything.notifications[0]
    assert parse_cursor(cursors[0]) == (first.position, first.item)
    for bad in ("", "xyz", "A" + cursors[0][1:], cursors[0] + "0", "-" + cursors[0][1:], "f" * 25):
        with pytest.raises(errors.InvalidInput):
            parse_cursor(bad)
    with pytest.raises(errors.InvalidInput):
        page(index, "EP", None, 0)
    with pytest.raises(errors.InvalidInput):
        page(index, "EP", None, 1_001)


def test_cursors_are_the_same_byte_for_byte_after_the_index_is_rebuilt(ledger: Ledger, tmp_path: Path) -> None:
    story(ledger)
    path = tmp_path / "index.sqlite"
    answers: dict[str, bytes] = {}
    with Index(path, ledger.chain, ledger.address) as idx:
        idx.sync()
        for office in ("EP", "US", "JP"):
            answers[office] = NotificationsOut.of(page(idx, office, None, 1_000)).model_dump_json().encode()
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    with Index(path, ledger.chain, ledger.address) as idx:
        idx.sync()
        for office, expected in answers.items():
            assert NotificationsOut.of(page(idx, office, None, 1_000)).model_dump_json().encode() == expected
    # Synced a block at a time, the same: nothing depends on how the steps fell.
    with Index(":memory:", ledger.chain, ledger.address) as idx:
        for block in range(ledger.chain.block_number() + 1):
            idx.sync(block)
        for office, expected in answers.items():
            assert NotificationsOut.of(page(idx, office, None, 1_000)).model_dump_json().encode() == expected
    assert b"priorityClaimWithdrawn" in answers["US"] and b"filingPublished" in answers["EP"]


def test_a_rollback_takes_the_notifications_of_the_blocks_it_undoes(ledger: Ledger, index: Index) -> None:
    ledger.store("EP", entry("ep-1"))
    index.sync()
    snapshot = ledger.chain.snapshot()
    ledger.store("EP", entry("ep-2"))
    index.sync()
    assert len(index.notifications("EP", None, 10)) == 2
    ledger.chain.revert(snapshot)
    ledger.mine(2)  # another chain, as long or longer
    index.sync()
    assert [n.commitment for n in index.notifications("EP", None, 10)] == [c("ep-1")]


def test_withdrawn_claims_and_confirmations(ledger: Ledger, index: Index) -> None:
    ledger.store("EP", entry("ep-1"))
    ledger.batch("US", [entry("us-1", days=30, claims=(ClaimRef(c("ep-1"), DAY, "EP"),))])
    ledger.tx(ledger.offices["EP"], "confirmPriorityClaims", [(b"US", c("us-1"), c("ep-1"))])
    index.sync()
    assert told(index, "EP")[-1] == ("priorityClaimConfirmed", c("us-1").hex(), "US")
    assert told(index, "US")[-1] == ("priorityClaimConfirmed", c("us-1").hex(), "US")
    record = index.record(c("us-1"))
    assert record is not None
    ledger.tx(ledger.offices["US"], "withdrawPriorityClaim", c("us-1"), b"EP", c("ep-1"), inclusion(record.inclusion))
    index.sync()
    # Judged once the withdrawal is applied: us-1 is no longer in a family of EP's.
    assert told(index, "US")[-1] == ("priorityClaimWithdrawn", c("us-1").hex(), "US")
    assert told(index, "EP")[-1][0] == "priorityClaimConfirmed"


def statements(index: Index, work: Callable[[], object]) -> int:
    """How many SQL statements the index runs for ``work`` (its own connection, traced)."""
    seen: list[str] = []
    db = index._db
    db.set_trace_callback(seen.append)
    try:
        work()
    finally:
        db.set_trace_callback(None)
    return len(seen)


def test_an_event_in_a_family_of_thousands_costs_what_it_costs_in_a_small_one(ledger: Ledger, index: Index) -> None:
    # EP's root, claimed by 2,000 US filings (a family an office could build on purpose), and a
    # small family: EP's small-1 claimed by one US filing.
    ledger.store("EP", entry("root"))
    ledger.store("EP", entry("small-1"))
    claim = (ClaimRef(c("root"), DAY, "EP"),)
    for part in range(4):
        ledger.batch("US", [entry(f"big-{part}-{i}", days=30, claims=claim) for i in range(500)])
    ledger.store("US", entry("small-2", days=30, claims=(ClaimRef(c("small-1"), DAY, "EP"),)))
    index.sync()
    assert len(index.notifications("EP", None, 1_000)) == 1_000  # EP sees the whole family grow
    # One filing and one amendment in each family, a block each.
    counts = []
    for name in ("root", "small-1"):
        ledger.batch("JP", [entry(f"jp-{name}", days=31, claims=(ClaimRef(c(name), DAY, "EP"),))])
        ledger.tx(ledger.offices["EP"], "amendFiling", c(name), date_to_days(DAY) + 1, bytes(32), STORED)
        counts.append(statements(index, index.sync))
    big, small = counts
    assert big <= small * 1.5 + 5, counts
    for office in ("EP", "US", "JP"):
        assert told(index, office)[-4:] == [
            ("familyMemberAdded", c("jp-root").hex(), "JP"),
            ("filingAmended", c("root").hex(), "EP"),
            ("familyMemberAdded", c("jp-small-1").hex(), "JP"),
            ("filingAmended", c("small-1").hex(), "EP"),
        ], office
    # A merger of the two families points one root at the other: no record of either is written.
    merged = statements(
        index,
        lambda: (
            ledger.store("JP", entry("bridge", days=32, claims=(*claim, ClaimRef(c("small-1"), DAY, "EP")))),
            index.sync(),
        ),
    )
    assert merged <= small * 3 + 20, (merged, small)
    ledger.tx(ledger.offices["US"], "anchorReport", c("small-2"), b"\x44" * 32, 1, date_to_days(DAY) + 33, STORED)
    ledger.tx(ledger.offices["EP"], "amendFiling", c("root"), date_to_days(DAY) + 2, bytes(32), STORED)
    index.sync()
    for office in ("EP", "US", "JP"):
        assert told(index, office)[-2:] == [
            ("reportAdded", c("small-2").hex(), "US"),
            ("filingAmended", c("root").hex(), "EP"),
        ], office
    assert index.dump() == rebuilt(ledger)


def test_a_withdrawal_that_splits_a_family_stops_telling_the_part_that_left(ledger: Ledger, index: Index) -> None:
    # ep-1 ← us-1 ← jp-1: one family of three offices.
    ledger.store("EP", entry("ep-1"))
    ledger.store("US", entry("us-1", days=30, claims=(ClaimRef(c("ep-1"), DAY, "EP"),)))
    ledger.store("JP", entry("jp-1", days=40, claims=(ClaimRef(c("us-1"), DAY + dt.timedelta(days=30), "US"),)))
    index.sync()
    record = index.record(c("us-1"))
    assert record is not None
    ledger.tx(ledger.offices["US"], "withdrawPriorityClaim", c("us-1"), b"EP", c("ep-1"), inclusion(record.inclusion))
    ledger.tx(ledger.offices["JP"], "amendFiling", c("jp-1"), date_to_days(DAY) + 41, bytes(32), STORED)
    ledger.tx(ledger.offices["EP"], "amendFiling", c("ep-1"), date_to_days(DAY) + 1, bytes(32), STORED)
    index.sync()
    assert told(index, "EP")[-1] == ("filingAmended", c("ep-1").hex(), "EP")
    assert ("filingAmended", c("jp-1").hex(), "JP") not in told(index, "EP")
    for office in ("US", "JP"):
        assert told(index, office)[-1] == ("filingAmended", c("jp-1").hex(), "JP"), office
    # A rebuild from the chain agrees on the families (their labels read canonically) and on all else.
    assert index.dump() == rebuilt(ledger)


def test_a_rollback_that_undoes_a_merger_and_a_split_leaves_what_a_rebuild_makes(ledger: Ledger, index: Index) -> None:
    ledger.store("EP", entry("ep-1"))
    ledger.store("US", entry("us-1", days=30, claims=(ClaimRef(c("ep-1"), DAY, "EP"),)))
    ledger.store("JP", entry("jp-1", days=31))
    index.sync()
    fork = ledger.chain.snapshot()
    # On the branch that will be abandoned: jp-1 joins by a claim, and us-1 leaves by a withdrawal.
    ledger.tx(
        ledger.offices["JP"], "addPriorityClaim", c("jp-1"), (b"EP", c("ep-1"), date_to_days(DAY), bytes(16)), STORED
    )
    record = index.record(c("us-1"))
    assert record is not None
    ledger.tx(ledger.offices["US"], "withdrawPriorityClaim", c("us-1"), b"EP", c("ep-1"), inclusion(record.inclusion))
    index.sync()
    assert told(index, "JP")[-1][0] == "priorityClaimAdded"  # us-1 left before JP could be told
    assert told(index, "US")[-1][0] == "priorityClaimWithdrawn"
    ledger.chain.revert(fork)
    ledger.mine(3)
    ledger.tx(ledger.offices["EP"], "amendFiling", c("ep-1"), date_to_days(DAY) + 1, bytes(32), STORED)
    assert index.sync().rolled_back >= 1
    assert index.dump() == rebuilt(ledger)
    # The family is again ep-1 and us-1: the amendment reaches US, not JP.
    assert told(index, "US")[-1] == ("filingAmended", c("ep-1").hex(), "EP")
    assert kinds(index, "JP") == ["familyMemberAdded"]
