"""Patent families from the priority-claim graph: simple (EPO DOCDB) and extended (EPO INPADOC).

The graph has one node per application (its commitment, ``0x`` + 64 hex digits; opaque here) and
one directed **link** per active priority claim, from the later application to the earlier one it
claims (PCT Rule 4.10: a claim names the earlier application and its filing date). A withdrawn claim
is removed from the graph: it no longer joins anything.

- **Extended family** (INPADOC): every application connected to ``c`` directly or indirectly by
  links, in either direction — the connected component of the undirected graph.
- **First filings of X**: the roots (applications that claim no priority) reachable from X by
  following links from later to earlier; X itself when X claims nothing. A first filing is the
  "first application" of Paris Convention Art. 4C(2)/(4) as far as the ledger knows.
- **Simple family** (DOCDB): the applications whose set of first filings is exactly that of ``c``.
  So a first filing and the applications claiming only it (directly, or through applications that
  themselves claim only it) form one simple family; an application that adds a second first filing
  (Paris Art. 4F, multiple priorities) starts another simple family within the same extended one.
- Divisionals and continuations inherit their parent's priorities (Paris Art. 4G): the caller links
  them to the same earlier applications as the parent, and they then share its families.

A priority can only be claimed from an *earlier* application (Paris Art. 4A(1)), so the graph is
acyclic: :meth:`ClaimGraph.add_claim` refuses a self-claim (``selfClaim``) and a claim that would
close a cycle (``claimCycle``). A single wrong link merges two unrelated extended families (a known
INPADOC failure): :meth:`ClaimGraph.path` shows the shortest chain of links that joins two
applications, and :meth:`ClaimGraph.withdraw` removes a wrong link.

Scale (docs/domain.md#load-to-plan-for: ~20 M filings a year): adjacency is kept in dictionaries both ways, so every
query walks only the family it is about — no global recomputation — and answers a small family in
microseconds on a graph of millions of applications.
"""

from __future__ import annotations

import datetime as _dt
from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from enum import StrEnum
from typing import NamedTuple

from registry.errors import InvalidClaim

__all__ = ["ClaimGraph", "Direction", "Link", "PathStep"]


class Link(NamedTuple):
    """One active priority claim: ``later`` claims ``earlier``, naming ``claimed_filing_date`` (Rule 4.10).

    A NamedTuple rather than a frozen dataclass: the index builds one per claim for millions of
    claims, and tuple construction is several times cheaper; it also sorts by (later, earlier).
    """

    later: str
    earlier: str
    claimed_filing_date: _dt.date


class Direction(StrEnum):
    """How a path walks a link: along the claim (later → earlier) or against it (earlier → later)."""

    CLAIMS = "claims"
    CLAIMED_BY = "claimedBy"


@dataclass(frozen=True)
class PathStep:
    """One step of a path between two family members: the link used and the way it was walked.

    ``direction`` is ``claims`` when the step goes from the claiming (later) application to the
    claimed (earlier) one, ``claimedBy`` when it goes the other way.
    """

    link: Link
    direction: Direction

    @property
    def start(self) -> str:
        """The application this step leaves."""
        return self.link.later if self.direction is Direction.CLAIMS else self.link.earlier

    @property
    def end(self) -> str:
        """The application this step reaches."""
        return self.link.earlier if self.direction is Direction.CLAIMS else self.link.later


class ClaimGraph:
    """The priority-claim graph of the ledger, with DOCDB and INPADOC family queries.

    Mutable: the index adds claims as it reads them and withdraws them when an office does. Node
    identifiers are commitment strings; an application that takes part in no active link is a family
    of its own (every query on it answers with just itself).
    """

    __slots__ = ("_claimed_by", "_claims")

    def __init__(self) -> None:
        # later -> {earlier: claimed filing date}; earlier -> {later: claimed filing date}.
        # Both directions are kept so that a family walk touches only its own members; inner dicts
        # are deleted when emptied, so "in the graph" means "takes part in an active link".
        self._claims: dict[str, dict[str, _dt.date]] = {}
        self._claimed_by: dict[str, dict[str, _dt.date]] = {}

    # ------------------------------------------------------------------------------------------
    # Changes

    def add_claim(self, later: str, earlier: str, claimed_date: _dt.date) -> Link:
        """Record that ``later`` claims the priority of ``earlier`` (Paris Art. 4A(1), PCT Rule 4.10).

        Raises :class:`InvalidClaim` with code ``selfClaim`` when ``later == earlier``, ``claimCycle``
        when ``earlier`` already (directly or indirectly) claims ``later`` — priority runs from an
        earlier application only, so a cycle is always a data error — and ``duplicateClaim`` when the
        link is already active (Paris Art. 4F: each earlier application is claimed once).
        """
        if later == earlier:
            raise InvalidClaim(f"application {later} cannot claim its own priority", code="selfClaim")
        out = self._claims.get(later)
        if out is not None and earlier in out:
            raise InvalidClaim(f"application {later} already claims the priority of {earlier}", code="duplicateClaim")
        # Only an application that itself claims something can lead back to ``later``; checking
        # membership first keeps the common case (claiming a first filing) to one dict lookup.
        if earlier in self._claims and self._reaches(earlier, later):
            raise InvalidClaim(
                f"application {earlier} already claims the priority of {later} (directly or through other"
                " applications); a claim in the other direction would make a cycle, which priority dates"
                " rule out (Paris Convention Art. 4A(1))",
                code="claimCycle",
            )
        if out is None:
            self._claims[later] = {earlier: claimed_date}
        else:
            out[earlier] = claimed_date
        self._claimed_by.setdefault(earlier, {})[later] = claimed_date
        return Link(later, earlier, claimed_date)

    def withdraw(self, later: str, earlier: str) -> Link:
        """Withdraw the claim of ``later`` to ``earlier``: it no longer joins any family.

        Used when an office withdraws a priority claim or corrects a wrong link that merged two
        unrelated INPADOC families. Raises :class:`InvalidClaim` ``unknownClaim`` if no such link is active.
        """
        out = self._claims.get(later)
        if out is None or earlier not in out:
            raise InvalidClaim(f"application {later} has no active priority claim to {earlier}", code="unknownClaim")
        claimed_date = out.pop(earlier)
        if not out:
            del self._claims[later]
        back = self._claimed_by[earlier]
        del back[later]
        if not back:
            del self._claimed_by[earlier]
        return Link(later, earlier, claimed_date)

    # ------------------------------------------------------------------------------------------
    # Reading

    def __contains__(self, node: object) -> bool:
        """Whether ``node`` takes part in at least one active link."""
        return node in self._claims or node in self._claimed_by

    def claims_of(self, node: str) -> tuple[Link, ...]:
        """The active priority claims ``node`` makes (its links to earlier applications, PCT Rule 4.10)."""
        return tuple(Link(node, e, d) for e, d in self._claims.get(node, {}).items())

    def claimed_by(self, node: str) -> tuple[Link, ...]:
        """The active claims other applications make to ``node``."""
        return tuple(Link(later, node, d) for later, d in self._claimed_by.get(node, {}).items())

    def first_filings(self, node: str) -> frozenset[str]:
        """The first filings of ``node``: roots reachable along claims; ``{node}`` if it claims nothing.

        These are the applications the ledger shows as first applications (Paris Art. 4C(2), 4C(4))
        behind ``node``; the DOCDB simple family groups applications by exactly this set.
        """
        return self._first_filings(node, {})

    def extended_family(self, node: str) -> frozenset[str]:
        """The INPADOC extended family: all applications linked to ``node`` directly or indirectly.

        The connected component of the undirected claim graph (withdrawn claims ignored); includes
        ``node``. Cost is linear in the size of the family, whatever the size of the graph.
        """
        return frozenset(self._component(node))

    def simple_family(self, node: str) -> frozenset[str]:
        """The DOCDB simple family: members whose first filings are exactly those of ``node``.

        Every such member descends (along claims) from each of those first filings, or is the only
        first filing itself, so only the descendants of one of them are examined.
        """
        roots = self._first_filings(node, {})
        anchor = min(roots)
        memo: dict[str, frozenset[str]] = {}
        members = {anchor} if roots == {anchor} else set()
        for candidate in self._descendants(anchor):
            if self._first_filings(candidate, memo) == roots:
                members.add(candidate)
        return frozenset(members)

    def path(self, a: str, b: str) -> tuple[PathStep, ...] | None:
        """The shortest chain of links joining ``a`` to ``b`` (why they share an INPADOC family).

        Each step names the link (``from`` the claiming, ``to`` the claimed application, with the
        claimed filing date) and whether the walk follows or goes against it. ``()`` when ``a == b``;
        ``None`` when they are not in one extended family.
        """
        if a == b:
            return ()
        came_from: dict[str, PathStep | None] = {a: None}
        queue: deque[str] = deque([a])
        while queue:
            node = queue.popleft()
            for step in self._steps(node):
                nxt = step.end
                if nxt in came_from:
                    continue
                came_from[nxt] = step
                if nxt == b:
                    return self._unwind(came_from, b)
                queue.append(nxt)
        return None

    def links(self, component: Iterable[str]) -> tuple[Link, ...]:
        """The active links between members of ``component`` (e.g. an extended family), sorted.

        These are the ``links`` of docs/api.md#families, ``GET /v1/families/{commitment}``: each joins two members
        (INPADOC), from the claiming to the claimed application.
        """
        members = set(component)
        found = [
            Link(later, earlier, d)
            for later in members
            for earlier, d in self._claims.get(later, {}).items()
            if earlier in members
        ]
        return tuple(sorted(found))

    # ------------------------------------------------------------------------------------------
    # Walks (each touches only the family it starts in)

    def _reaches(self, start: str, target: str) -> bool:
        """Whether ``target`` is reachable from ``start`` following claims (later → earlier)."""
        if start not in self._claims:
            return False
        seen = {start}
        stack = [start]
        while stack:
            for earlier in self._claims.get(stack.pop(), ()):
                if earlier == target:
                    return True
                if earlier not in seen:
                    seen.add(earlier)
                    stack.append(earlier)
        return False

    def _component(self, node: str) -> set[str]:
        seen = {node}
        stack = [node]
        while stack:
            current = stack.pop()
            for neighbours in (self._claims.get(current, ()), self._claimed_by.get(current, ())):
                for other in neighbours:
                    if other not in seen:
                        seen.add(other)
                        stack.append(other)
        return seen

    def _descendants(self, node: str) -> Iterator[str]:
        """Every application that claims ``node`` directly or indirectly (not ``node`` itself)."""
        seen = {node}
        stack = [node]
        while stack:
            for later in self._claimed_by.get(stack.pop(), ()):
                if later not in seen:
                    seen.add(later)
                    stack.append(later)
                    yield later

    def _first_filings(self, node: str, memo: dict[str, frozenset[str]]) -> frozenset[str]:
        # Iterative post-order over the (acyclic) claims, memoised so that a simple-family query
        # computes each member's roots once even when members share ancestors.
        if node in memo:
            return memo[node]
        stack: list[tuple[str, bool]] = [(node, False)]
        while stack:
            current, expanded = stack.pop()
            if current in memo:
                continue
            earlier = self._claims.get(current)
            if not earlier:
                memo[current] = frozenset((current,))
            elif expanded:
                roots: set[str] = set()
                for e in earlier:
                    roots |= memo[e]
                memo[current] = frozenset(roots)
            else:
                stack.append((current, True))
                stack.extend((e, False) for e in earlier if e not in memo)
        return memo[node]

    def _steps(self, node: str) -> Iterator[PathStep]:
        for earlier, d in self._claims.get(node, {}).items():
            yield PathStep(Link(node, earlier, d), Direction.CLAIMS)
        for later, d in self._claimed_by.get(node, {}).items():
            yield PathStep(Link(later, node, d), Direction.CLAIMED_BY)

    @staticmethod
    def _unwind(came_from: dict[str, PathStep | None], end: str) -> tuple[PathStep, ...]:
        steps: list[PathStep] = []
        step = came_from[end]
        while step is not None:
            steps.append(step)
            step = came_from[step.start]
        return tuple(reversed(steps))
