"""The family of an application as docs/api.md#families shows it: simple (DOCDB) and extended (INPADOC) family,
each member's public facts, and the links that join them (docs/domain.md#families), as the
:class:`~registry.service.answers.FamilyOut` answer (the API and ``prioreg family`` print its body).

Nodes are (office, commitment) (docs/spec/entries.md#claim-tokens-and-confirmed-links): a member names its office, and a
link says whether the earlier office confirmed it (``confirmed``; only confirmed links grant anything, R15).
"""

from __future__ import annotations

import datetime as _dt

from registry.domain.commitments import to_hex
from registry.domain.types import Commitment
from registry.errors import NotFound
from registry.index import Index, node_id, parse_node
from registry.service.answers import FamilyOut, LinkOut, MemberOut

__all__ = ["family_view", "start_office"]


def start_office(index: Index, commitment: Commitment, office: str | None) -> str | None:
    """The office of the node a commitment path names: ``office`` when given (``?ipOfficeCode``),
    else the record anchored first under those bytes, else the office a claim names for them."""
    if office is not None:
        return office
    holders = index.holders(commitment)
    if holders:
        return holders[0]
    claimed = index.claimed_offices(commitment)
    return claimed[0] if claimed else None


def family_view(index: Index, commitment: Commitment, office: str | None = None) -> FamilyOut:
    """``{commitment, ipOfficeCode, simpleFamily, extendedFamily, links}``, earliest member first.

    A member known only from a claim (the first office has not anchored it yet) is listed with
    ``anchored: false`` and no details. Raises NotFound when nothing is anchored or claimed under it.
    """
    hexed = to_hex(commitment)
    start = start_office(index, commitment, office)
    if start is None:
        raise NotFound(f"no application is anchored or claimed under commitment {hexed}")
    graph, confirmed = index.family_graph(start, commitment)
    node = node_id(start, commitment)
    if not index.contains(start, commitment) and node not in graph:
        raise NotFound(f"no application of {start} is anchored or claimed under commitment {hexed}")
    extended = sorted(graph.extended_family(node)) if node in graph else [node]
    simple = sorted(graph.simple_family(node)) if node in graph else [node]
    nodes = {n: parse_node(n) for n in extended}
    summaries = index.summaries(nodes.values())
    members = []
    for member in extended:
        member_office, member_commitment = nodes[member]
        summary = summaries.get(nodes[member])
        members.append(
            MemberOut(
                commitment=to_hex(member_commitment),
                anchored=summary is not None,
                ip_office_code=member_office,
                filing_date=summary.filing_date if summary else None,
                ip_right_kind=summary.kind if summary else None,
                application_number=summary.published_number if summary else None,
            )
        )
    # Earliest first; a member not anchored yet (no date) last; ties by commitment, then office.
    members.sort(key=lambda m: (m.filing_date or _dt.date.max, m.commitment, m.ip_office_code or ""))
    links = []
    if node in graph:
        for link in graph.links(extended):
            later_office, later = parse_node(link.later)
            earlier_office, earlier = parse_node(link.earlier)
            links.append(
                LinkOut(
                    from_=to_hex(later),
                    to=to_hex(earlier),
                    claimed_filing_date=link.claimed_filing_date,
                    from_office=later_office,
                    to_office=earlier_office,
                    confirmed=confirmed.get((link.later, link.earlier), False),
                )
            )
    return FamilyOut(
        commitment=hexed,
        ip_office_code=start,
        simple_family=list(dict.fromkeys(to_hex(nodes[n][1]) for n in simple)),
        extended_family=members,
        links=links,
    )
