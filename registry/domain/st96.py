"""An application's priority claims as a WIPO ST.96 ``PriorityClaimBag`` (docs/api.md#other-bodies).

``GET /v1/applications/{commitment}`` with ``Accept: application/xml`` answers this, for offices whose systems
speak WIPO ST.96. The element names, namespaces and their order follow WIPO's own ST.36 → ST.96 mapping of the
patent bibliographic data (the XSLT WIPO published with ST.96, ``st36tost96``: ``pat:PriorityClaimBag`` /
``pat:PriorityClaim`` with the ``com:sequenceNumber`` attribute, then ``com:IPOfficeCode``,
``com:ApplicationNumber/com:ApplicationNumberText``, ``pat:FilingDate``, ``pat:ApplicationFilingCategory``). The
ST.96 XSD itself (``PriorityClaimBag.xsd``, ``PriorityClaimType.xsd``) could not be found to validate against, so
``tests/registry/domain/test_st96.py`` checks the names and the order against that mapping instead.

Only what the public record shows (docs/design.md#p1-nothing-unpublished-can-be-read-off-the-ledger): the earlier
office, the claimed filing date and — only once the earlier office has published it — the earlier application's
number. A withdrawn claim is not a claim of the application any more and is left out. The output is
deterministic: the claims in chain order, no whitespace between elements, UTF-8 with an XML declaration.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Sequence
from dataclasses import dataclass
from xml.etree import ElementTree as ET

__all__ = ["COMMON_NS", "PATENT_NS", "St96Claim", "filing_category", "priority_claim_bag"]

#: The ST.96 Patent and Common namespaces.
PATENT_NS = "http://www.wipo.int/standards/XMLSchema/ST96/Patent"
COMMON_NS = "http://www.wipo.int/standards/XMLSchema/ST96/Common"

# Regional patent offices (ST.3): EPO, EAPO, ARIPO, OAPI, GCC.
_REGIONAL = frozenset({"EP", "EA", "AP", "OA", "GC"})


@dataclass(frozen=True)
class St96Claim:
    """One priority claim as the public record shows it (``application_number`` only once published)."""

    ip_office_code: str
    filing_date: _dt.date
    application_number: str | None = None


def filing_category(office: str) -> str:
    """ST.96 ``ApplicationFilingCategory`` of an earlier application filed at ``office``: an international (PCT,
    ``WO``), a regional (a regional office's) or a national application."""
    if office == "WO":
        return "international"
    return "regional" if office in _REGIONAL else "national"


def priority_claim_bag(claims: Sequence[St96Claim]) -> bytes:
    """The ``pat:PriorityClaimBag`` of ``claims``, in the order given, as UTF-8 XML bytes."""
    pat, com = f"{{{PATENT_NS}}}", f"{{{COMMON_NS}}}"
    bag = ET.Element(pat + "PriorityClaimBag")
    for number, claim in enumerate(claims, start=1):
        item = ET.SubElement(bag, pat + "PriorityClaim", {com + "sequenceNumber": str(number)})
        ET.SubElement(item, com + "IPOfficeCode").text = claim.ip_office_code
        if claim.application_number is not None:
            wrapper = ET.SubElement(item, com + "ApplicationNumber")
            ET.SubElement(wrapper, com + "ApplicationNumberText").text = claim.application_number
        ET.SubElement(item, pat + "FilingDate").text = claim.filing_date.isoformat()
        ET.SubElement(item, pat + "ApplicationFilingCategory").text = filing_category(claim.ip_office_code)
    ET.register_namespace("pat", PATENT_NS)
    ET.register_namespace("com", COMMON_NS)
    data: bytes = ET.tostring(bag, encoding="utf-8", xml_declaration=True)
    return data
