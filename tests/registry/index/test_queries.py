"""What the read side answers: claims both ways, families, summaries (registry.index.queries)."""

from __future__ import annotations

import datetime as dt

from registry.domain.entries import ClaimRef
from registry.domain.types import date_to_days
from registry.index import Index, node_id
from tests.registry.index.support import (
    DAY,
    STORED,
    Ledger,
    c,
    claimed_by,
    claims_of,
    entry,
    family_of,
    story,
    summaries_of,
)


def test_claims_are_seen_from_the_claiming_and_from_the_claimed_side(ledger: Ledger, index: Index) -> None:
    ledger.store("JP", entry("first"))
    ledger.store("US", entry("lone"))
    ledger.batch("US", [entry("second", days=100, claims=(ClaimRef(c("first"), DAY, "JP"),))])
    ledger.store(
        "EP", entry("third", days=120, claims=(ClaimRef(c("first"), DAY, "JP"), ClaimRef(c("second"), DAY, "US")))
    )
    ledger.store(
        "EP", entry("fourth", days=130, claims=(ClaimRef(c("first"), DAY, "JP"), ClaimRef(c("lone"), DAY, "US")))
    )
    index.sync()
    (claim,) = claims_of(index, c("second"))
    assert (claim.later, claim.earlier, claim.claimed_filing_date, claim.withdrawn) == (
        c("second"),
        c("first"),
        DAY,
        False,
    )
    assert [x.later for x in claimed_by(index, c("first"))] == [c("second"), c("third"), c("fourth")]
    first = index.record(c("first"))
    assert first is not None and first.claimed_by == (c("second"), c("third"), c("fourth"))

    holder = {"first": "JP", "lone": "US", "second": "US", "third": "EP", "fourth": "EP"}

    def hexes(*labels: str) -> set[str]:
        return {node_id(holder[x], c(x)) for x in labels}

    graph = family_of(index, c("second"))
    second = node_id("US", c("second"))
    assert graph.extended_family(second) == hexes("first", "lone", "second", "third", "fourth")
    # DOCDB: same first filings. "fourth" adds the priority of "lone", so it has a family of its own.
    assert graph.simple_family(second) == hexes("first", "second", "third")
    assert graph.simple_family(node_id("EP", c("fourth"))) == hexes("fourth")
    summaries = summaries_of(index, [c("first"), c("third"), c("absent")])
    assert set(summaries) == {c("first"), c("third")}
    assert (summaries[c("third")].office, summaries[c("third")].filing_date) == ("EP", DAY + dt.timedelta(days=120))


def test_a_claim_cycle_on_the_ledger_leaves_the_family_graph_usable(ledger: Ledger, index: Index) -> None:
    # The contract does not forbid a cycle; families.py does. The index keeps both claims and
    # leaves out of the graph the one that closes the cycle, in chain order.
    ledger.store("EP", entry("a", claims=(ClaimRef(c("b"), DAY, "US"),)))
    ledger.store("US", entry("b"))
    ledger.tx(ledger.offices["US"], "addPriorityClaim", c("b"), (b"EP", c("a"), date_to_days(DAY), bytes(16)), STORED)
    index.sync()
    assert [x.earlier for x in claims_of(index, c("b"))] == [c("a")]
    graph = family_of(index, c("a"))
    assert graph.extended_family(node_id("EP", c("a"))) == {node_id("EP", c("a")), node_id("US", c("b"))}
    assert [(link.later, link.earlier) for link in graph.claims_of(node_id("EP", c("a")))] == [
        (node_id("EP", c("a")), node_id("US", c("b")))
    ]


def test_where_a_version_was_written_is_read_with_its_proof_block_hash_and_head(ledger: Ledger, index: Index) -> None:
    # What a verdict's evidence needs (registry.service.evidence), the same as the whole record says.
    told = story(ledger)
    index.sync()
    record = index.record(c("us-2"), "US")
    assert record is not None and [v.version for v in record.versions] == [1, 2]
    for version, want in ((1, record.versions[0]), (2, record.versions[1]), (9, record.versions[1])):
        found = index.written(c("us-2"), "US", version)
        assert found is not None
        assert found.version == want  # a version the record does not have: its newest
        assert found.inclusion == record.inclusion and found.inclusion is not None
        assert found.block_hash == index.block_hash(want.block_number) and found.block_hash is not None
        assert found.head == index.last_block()
    stored = index.written(told["published"], "EP", 1)
    assert stored is not None and stored.inclusion is None and stored.version.change == "anchored"
    jp = index.record(c("us-2"), "JP")  # uniqueness is per office: JP's own record under the same commitment
    found = index.written(c("us-2"), "JP", 1)
    assert jp is not None and found is not None
    assert (found.version, found.inclusion) == (jp.versions[0], jp.inclusion) and found.inclusion != record.inclusion
    assert index.written(c("us-2"), "CN", 1) is None
    assert index.written(c("nobody"), "US", 1) is None
