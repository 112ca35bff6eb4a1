"""Families from the claim graph: DOCDB simple, INPADOC extended, paths and withdrawals."""

from __future__ import annotations

import datetime as dt
import time

import pytest
from hypothesis import given
from hypothesis import strategies as st

from registry.domain.families import ClaimGraph, Direction, Link, PathStep
from registry.errors import InvalidClaim

DAY = dt.date(2023, 3, 1)
# Node identifiers are commitments (0x + 64 hex digits) in production; they are opaque to the graph,
# so readable names keep the assertions legible here.


def example_graph() -> ClaimGraph:
    """JP1 and KR1 are first filings; US1 claims JP1; EP1 claims JP1 and KR1; DE1 claims KR1."""
    g = ClaimGraph()
    g.add_claim("US1", "JP1", dt.date(2023, 1, 10))
    g.add_claim("EP1", "JP1", dt.date(2023, 1, 10))
    g.add_claim("EP1", "KR1", dt.date(2023, 2, 20))
    g.add_claim("DE1", "KR1", dt.date(2023, 2, 20))
    return g


def test_simple_families_group_applications_with_exactly_the_same_first_filings() -> None:
    g = example_graph()
    assert g.simple_family("US1") == {"JP1", "US1"}
    assert g.simple_family("JP1") == {"JP1", "US1"}
    assert g.simple_family("EP1") == {"EP1"}
    assert g.simple_family("DE1") == {"KR1", "DE1"}
    assert g.first_filings("EP1") == {"JP1", "KR1"}
    assert g.first_filings("JP1") == {"JP1"}


def test_the_extended_family_is_everything_linked_directly_or_indirectly() -> None:
    g = example_graph()
    everyone = {"JP1", "KR1", "US1", "EP1", "DE1"}
    for member in everyone:
        assert g.extended_family(member) == everyone


def test_an_application_claiming_through_an_intermediate_shares_its_first_filing() -> None:
    # A continuation listing only its parent, which claims the first filing: same first filing.
    g = ClaimGraph()
    g.add_claim("US2", "JP1", DAY)
    g.add_claim("US2-CON", "US2", DAY)
    assert g.first_filings("US2-CON") == {"JP1"}
    assert g.simple_family("US2-CON") == {"JP1", "US2", "US2-CON"}


def test_an_application_without_links_is_its_own_family() -> None:
    g = example_graph()
    assert "FR9" not in g
    assert g.extended_family("FR9") == {"FR9"}
    assert g.simple_family("FR9") == {"FR9"}
    assert g.first_filings("FR9") == {"FR9"}
    assert g.path("FR9", "JP1") is None


def test_a_wrong_link_merges_two_families_and_withdrawing_it_splits_them_again() -> None:
    g = example_graph()
    g.add_claim("CN1", "CN0", DAY)
    assert g.extended_family("CN1") == {"CN0", "CN1"}

    g.add_claim("CN1", "DE1", DAY)  # a typo in a priority claim
    merged = g.extended_family("US1")
    assert {"CN0", "CN1"} <= merged
    path = g.path("US1", "CN0")
    assert path is not None
    assert Link("CN1", "DE1", DAY) in [step.link for step in path]

    withdrawn = g.withdraw("CN1", "DE1")
    assert withdrawn == Link("CN1", "DE1", DAY)
    assert g.extended_family("CN1") == {"CN0", "CN1"}
    assert g.extended_family("US1") == {"JP1", "KR1", "US1", "EP1", "DE1"}
    assert g.path("US1", "CN0") is None


def test_the_path_explains_why_two_applications_share_a_family() -> None:
    g = example_graph()
    path = g.path("US1", "DE1")
    assert path is not None
    # US1 -> JP1 (claims) <- EP1 (claimed by) -> KR1 (claims) <- DE1 (claimed by).
    assert [(s.start, s.end, s.direction) for s in path] == [
        ("US1", "JP1", Direction.CLAIMS),
        ("JP1", "EP1", Direction.CLAIMED_BY),
        ("EP1", "KR1", Direction.CLAIMS),
        ("KR1", "DE1", Direction.CLAIMED_BY),
    ]
    # The step walks the link as claimed (EP1 claims JP1), against its direction.
    assert path[1] == PathStep(Link("EP1", "JP1", dt.date(2023, 1, 10)), Direction.CLAIMED_BY)
    assert g.path("US1", "US1") == ()


def test_the_path_is_the_shortest_chain_of_links() -> None:
    g = ClaimGraph()
    for a, b in [("B", "A"), ("C", "B"), ("D", "C"), ("E", "D"), ("E", "A")]:
        g.add_claim(a, b, DAY)
    path = g.path("A", "E")
    assert path is not None
    assert len(path) == 1


def test_links_lists_the_claims_inside_a_family_from_later_to_earlier() -> None:
    g = example_graph()
    g.add_claim("CN1", "CN0", DAY)
    family = g.extended_family("US1")
    links = g.links(family)
    assert links == (
        Link("DE1", "KR1", dt.date(2023, 2, 20)),
        Link("EP1", "JP1", dt.date(2023, 1, 10)),
        Link("EP1", "KR1", dt.date(2023, 2, 20)),
        Link("US1", "JP1", dt.date(2023, 1, 10)),
    )
    assert g.claims_of("EP1") == (
        Link("EP1", "JP1", dt.date(2023, 1, 10)),
        Link("EP1", "KR1", dt.date(2023, 2, 20)),
    )
    assert {link.later for link in g.claimed_by("JP1")} == {"US1", "EP1"}


def test_a_self_claim_is_refused() -> None:
    with pytest.raises(InvalidClaim) as info:
        ClaimGraph().add_claim("EP1", "EP1", DAY)
    assert info.value.code == "selfClaim"


@pytest.mark.parametrize(
    "chain",
    [
        [("B", "A"), ("A", "B")],
        [("B", "A"), ("C", "B"), ("D", "C"), ("A", "D")],
    ],
)
def test_a_claim_closing_a_cycle_is_refused_and_leaves_the_graph_unchanged(
    chain: list[tuple[str, str]],
) -> None:
    g = ClaimGraph()
    *ok, closing = chain
    for later, earlier in ok:
        g.add_claim(later, earlier, DAY)
    before = g.links(g.extended_family("A"))
    with pytest.raises(InvalidClaim) as info:
        g.add_claim(*closing, DAY)
    assert info.value.code == "claimCycle"
    assert g.links(g.extended_family("A")) == before


def test_a_cycle_through_a_withdrawn_link_is_allowed() -> None:
    g = ClaimGraph()
    g.add_claim("B", "A", DAY)
    g.withdraw("B", "A")
    g.add_claim("A", "B", DAY)
    assert g.first_filings("A") == {"B"}


def test_a_duplicate_link_is_refused_and_a_withdrawn_one_can_be_claimed_again() -> None:
    g = example_graph()
    with pytest.raises(InvalidClaim) as info:
        g.add_claim("US1", "JP1", DAY)
    assert info.value.code == "duplicateClaim"
    g.withdraw("US1", "JP1")
    assert "US1" not in g
    g.add_claim("US1", "JP1", DAY)
    assert g.simple_family("US1") == {"JP1", "US1"}


def test_withdrawing_a_claim_that_is_not_active_is_refused() -> None:
    g = example_graph()
    with pytest.raises(InvalidClaim) as info:
        g.withdraw("JP1", "US1")
    assert info.value.code == "unknownClaim"


# ---------------------------------------------------------------------------------------------
# Properties against a brute-force reading of the definitions


edges_strategy = st.lists(
    st.tuples(st.integers(0, 14), st.integers(0, 14)).filter(lambda e: e[0] != e[1]),
    max_size=30,
    unique_by=lambda e: (max(e), min(e)),
)


def build(edges: list[tuple[int, int]]) -> tuple[ClaimGraph, dict[str, set[str]]]:
    # The higher-numbered node claims the lower one: acyclic by construction (filing order).
    g = ClaimGraph()
    claims: dict[str, set[str]] = {}
    for a, b in edges:
        later, earlier = f"n{max(a, b)}", f"n{min(a, b)}"
        g.add_claim(later, earlier, DAY)
        claims.setdefault(later, set()).add(earlier)
    return g, claims


def brute_roots(x: str, claims: dict[str, set[str]]) -> frozenset[str]:
    if not claims.get(x):
        return frozenset({x})
    return frozenset().union(*(brute_roots(e, claims) for e in claims[x]))


def brute_component(x: str, claims: dict[str, set[str]]) -> set[str]:
    undirected: dict[str, set[str]] = {}
    for later, earliers in claims.items():
        for e in earliers:
            undirected.setdefault(later, set()).add(e)
            undirected.setdefault(e, set()).add(later)
    seen, todo = {x}, [x]
    while todo:
        for y in undirected.get(todo.pop(), set()):
            if y not in seen:
                seen.add(y)
                todo.append(y)
    return seen


@given(edges=edges_strategy, start=st.integers(0, 14), goal=st.integers(0, 14))
def test_families_and_paths_match_their_definitions(edges: list[tuple[int, int]], start: int, goal: int) -> None:
    g, claims = build(edges)
    x, y = f"n{start}", f"n{goal}"
    component = brute_component(x, claims)
    assert g.extended_family(x) == component
    assert g.first_filings(x) == brute_roots(x, claims)
    assert g.simple_family(x) == {m for m in component if brute_roots(m, claims) == brute_roots(x, claims)}
    path = g.path(x, y)
    if y not in component:
        assert path is None
        return
    assert path is not None
    here = x
    for step in path:
        assert step.start == here
        assert step.link.earlier in claims.get(step.link.later, set())
        here = step.end
    assert here == y


@given(edges=edges_strategy)
def test_withdrawing_every_link_leaves_every_application_alone(edges: list[tuple[int, int]]) -> None:
    g, claims = build(edges)
    for later, earliers in claims.items():
        for earlier in earliers:
            g.withdraw(later, earlier)
    for i in range(15):
        assert g.extended_family(f"n{i}") == {f"n{i}"}
        assert f"n{i}" not in g


# ---------------------------------------------------------------------------------------------
# Scale (docs/domain.md#load-to-plan-for: ~20 M filings a year)


def test_family_queries_answer_quickly_from_a_graph_of_a_million_applications() -> None:
    n = 1_000_000
    ids = [f"0x{i:064x}" for i in range(n)]
    g = ClaimGraph()
    add = g.add_claim
    for i in range(0, n, 2):  # 500,000 two-member families: a first filing and one claimant
        add(ids[i + 1], ids[i], DAY)
    # One larger family spread across the graph, joined by a link that merges two pairs.
    add(ids[3], ids[n - 2], DAY)

    started = time.perf_counter()
    for i in range(0, n, 1000):
        family = g.extended_family(ids[i])
        assert ids[i + 1] in family
    assert g.extended_family(ids[2]) == {ids[2], ids[3], ids[n - 2], ids[n - 1]}
    assert g.simple_family(ids[3]) == {ids[3]}
    assert g.simple_family(ids[n - 1]) == {ids[n - 2], ids[n - 1]}
    path = g.path(ids[2], ids[n - 1])
    assert path is not None
    assert len(path) == 3
    elapsed = time.perf_counter() - started
    # Not a timing assertion (shared CI machines vary); reported for whoever reads -ra output.
    print(f"1,003 family queries over {n:,} applications: {elapsed * 1000:.1f} ms")
