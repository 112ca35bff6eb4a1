"""The family of an application as API.md shows it: simple (DOCDB) and extended (INPADOC) family,
each member's public facts, and the links that join them (DOMAIN.md, "Families")."""

from __future__ import annotations

from typing import Any

from registry.commitments import to_hex
from registry.errors import NotFound
from registry.index import Index

__all__ = ["family_view"]


def family_view(index: Index, commitment: bytes) -> dict[str, Any]:
    """``{commitment, simpleFamily, extendedFamily, links}`` for ``commitment``, earliest member first.

    A member known only from a claim (the first office has not anchored it yet) is listed with
    ``anchored: false`` and no details. Raises NotFound when nothing is anchored or claimed under it.
    """
    graph = index.family_graph(commitment)
    node = to_hex(commitment)
    if not index.contains(commitment) and node not in graph:
        raise NotFound(f"no application is anchored or claimed under commitment {node}")
    extended = sorted(graph.extended_family(node)) if node in graph else [node]
    simple = sorted(graph.simple_family(node)) if node in graph else [node]
    summaries = index.summaries(bytes.fromhex(c[2:]) for c in extended)
    members = []
    for member in extended:
        summary = summaries.get(bytes.fromhex(member[2:]))
        members.append(
            {
                "commitment": member,
                "anchored": summary is not None,
                "ipOfficeCode": summary.office if summary else None,
                "filingDate": summary.filing_date.isoformat() if summary else None,
                "ipRightKind": summary.kind.api_name if summary else None,
                "applicationNumber": summary.published_number if summary else None,
            }
        )
    members.sort(key=lambda m: (m["filingDate"] or "9999", m["commitment"]))
    links = [link.to_json() for link in graph.links(extended)] if node in graph else []
    return {"commitment": node, "simpleFamily": simple, "extendedFamily": members, "links": links}
