"""The ST.96 ``PriorityClaimBag`` builder (registry/domain/st96.py).

No ST.96 XSD could be found to validate against, so the names, namespaces and order are checked against WIPO's
ST.36 → ST.96 mapping of the patent bibliographic data (``pat:PriorityClaim`` with ``com:sequenceNumber``, then
``com:IPOfficeCode``, ``com:ApplicationNumber/com:ApplicationNumberText``, ``pat:FilingDate``,
``pat:ApplicationFilingCategory``).
"""

from __future__ import annotations

import datetime as dt
from xml.etree import ElementTree as ET

from registry.domain.st96 import COMMON_NS, PATENT_NS, St96Claim, priority_claim_bag

PAT, COM = f"{{{PATENT_NS}}}", f"{{{COMMON_NS}}}"


def test_each_claim_has_the_st96_elements_in_the_st96_order() -> None:
    xml = priority_claim_bag(
        [St96Claim("JP", dt.date(2017, 9, 27), "2017-187096"), St96Claim("WO", dt.date(2017, 10, 2))]
    )
    bag = ET.fromstring(xml)
    assert bag.tag == PAT + "PriorityClaimBag"
    first, second = list(bag)
    assert first.tag == second.tag == PAT + "PriorityClaim"
    assert [first.get(COM + "sequenceNumber"), second.get(COM + "sequenceNumber")] == ["1", "2"]
    assert [e.tag for e in first] == [
        COM + "IPOfficeCode",
        COM + "ApplicationNumber",
        PAT + "FilingDate",
        PAT + "ApplicationFilingCategory",
    ]
    assert [e.tag for e in first.find(COM + "ApplicationNumber") or []] == [COM + "ApplicationNumberText"]
    assert first.findtext(COM + "ApplicationNumber/" + COM + "ApplicationNumberText") == "2017-187096"
    assert first.findtext(PAT + "FilingDate") == "2017-09-27"
    assert first.findtext(PAT + "ApplicationFilingCategory") == "national"
    assert second.findtext(PAT + "ApplicationFilingCategory") == "international"


def test_an_unpublished_number_is_never_shown() -> None:
    bag = ET.fromstring(priority_claim_bag([St96Claim("EP", dt.date(2017, 10, 2))]))
    (claim,) = list(bag)
    assert [e.tag for e in claim] == [COM + "IPOfficeCode", PAT + "FilingDate", PAT + "ApplicationFilingCategory"]
    assert claim.findtext(PAT + "ApplicationFilingCategory") == "regional"


def test_the_output_is_deterministic_utf8_xml() -> None:
    claims = [St96Claim("JP", dt.date(2017, 9, 27), "2017-187096")]
    assert priority_claim_bag(claims) == priority_claim_bag(claims)
    assert priority_claim_bag(claims).startswith(b"<?xml version='1.0' encoding='utf-8'?>")
    assert ET.fromstring(priority_claim_bag([])).tag == PAT + "PriorityClaimBag"
