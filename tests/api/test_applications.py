"""``GET /v1/applications/{commitment}`` and ``GET /v1/families/{commitment}`` through HTTP (docs/api.md#families)."""

from __future__ import annotations

import datetime as _dt
import hashlib
from typing import Any

import pytest

from registry.domain.accesscodes import normalize
from registry.domain.commitments import bound_document_digest, claim_token
from registry.domain.entries import ClaimRef, Entry, encode_entry
from registry.domain.merkle import verify_entry
from registry.domain.types import IpRightKind
from tests.api.conftest import Api
from tests.api.helpers import COMMITMENT, assert_envelope, assert_ledger, claim, filing, is_iso_date

APPLICATION_KEYS = {
    "commitment",
    "ipOfficeCode",
    "anchoredBy",
    "ipRightKind",
    "filingDate",
    "documentDigest",
    "versions",
    "priorityClaims",
    "claimedBy",
    "batch",
    "applicationNumber",
    "alsoAnchoredBy",
}


def _anchor(api: Api, office: str, body: dict[str, Any]) -> dict[str, Any]:
    response = api.client.post("/v1/filings", json=body, headers=api.auth(office))
    assert response.status_code == 201, response.text
    answer: dict[str, Any] = response.json()
    return answer


@pytest.fixture(scope="module")
def family(api: Api) -> dict[str, dict[str, Any]]:
    """JP first filing ← US and EP claim it; CN claims the US one and a KR-less second JP first filing."""
    jp = _anchor(api, "JP", filing("2017-187096", "2017-09-27"))
    jp2 = _anchor(api, "JP", filing("2017-187200", "2017-10-02"))
    us = _anchor(
        api,
        "US",
        filing("16/123,456", "2018-09-06", priorityClaims=[claim("JP", "2017-187096", "2017-09-27", jp["accessCode"])]),
    )
    ep = _anchor(
        api,
        "EP",
        filing("18190001", "2018-09-07", priorityClaims=[claim("JP", "2017-187096", "2017-09-27", jp["accessCode"])]),
    )
    cn = _anchor(
        api,
        "CN",
        filing(
            "201810601862",
            "2018-09-20",
            priorityClaims=[
                claim("JP", "2017-187096", "2017-09-27", jp["accessCode"]),
                claim("JP", "2017-187200", "2017-10-02", jp2["accessCode"]),
            ],
        ),
    )
    return {"jp": jp, "jp2": jp2, "us": us, "ep": ep, "cn": cn}


def _get(api: Api, commitment: str) -> dict[str, Any]:
    response = api.client.get(f"/v1/applications/{commitment}")
    assert response.status_code == 200, response.text
    record: dict[str, Any] = response.json()
    assert set(record) == APPLICATION_KEYS
    assert record["commitment"] == commitment
    assert is_iso_date(record["filingDate"])
    for version in record["versions"]:
        assert set(version) >= {"version", "filingDate", "documentDigest", "ledger"}
        assert_ledger(version["ledger"])
    return record


def test_an_application_shows_its_record_and_its_claims_both_ways(api: Api, family: dict[str, Any]) -> None:
    us = _get(api, family["us"]["commitment"])
    assert (us["ipOfficeCode"], us["ipRightKind"], us["filingDate"]) == ("US", "patent", "2018-09-06")
    assert us["documentDigest"] is None
    assert us["applicationNumber"] is None  # not published
    assert us["batch"] is None  # a single anchor is stored, not batched
    assert us["priorityClaims"] == [
        {
            "commitment": family["jp"]["commitment"],
            "claimedFilingDate": "2017-09-27",
            "withdrawn": False,
            "ipOfficeCode": "JP",
            # docs/spec/entries.md#claim-tokens-and-confirmed-links: JP's gateway checked the claim token on its sync
            # step and confirmed the link.
            "confirmed": True,
        }
    ]
    assert [v["version"] for v in us["versions"]] == [1]
    assert us["versions"][0]["ledger"] == family["us"]["ledger"]

    jp = _get(api, family["jp"]["commitment"])
    assert jp["priorityClaims"] == []
    assert sorted(jp["claimedBy"]) == sorted(family[k]["commitment"] for k in ("us", "ep", "cn"))


def test_a_batched_application_carries_a_proof_that_leads_to_its_batch_root(api: Api) -> None:
    digest = hashlib.sha256(b"a CN utility model").digest()
    jp = _anchor(api, "JP", filing("2017-187300", "2017-09-27"))
    items = [
        filing("201720601862", "2018-01-08", "utilityModel"),
        filing(
            "201720601863",
            "2018-01-09",
            "utilityModel",
            documentDigest=digest.hex(),
            priorityClaims=[claim("JP", "2017-187300", "2017-09-27", jp["accessCode"])],
        ),
        filing("201720601864", "2018-01-10", "utilityModel"),
    ]
    response = api.client.post("/v1/filing-batches", json={"filings": items}, headers=api.auth("CN"))
    assert response.status_code == 201, response.text
    answer = response.json()
    (batch,) = answer["batches"]
    item = answer["filings"][1]
    record = _get(api, item["commitment"])
    assert record["batch"]["root"] == batch["root"]
    item_commitment = bytes.fromhex(item["commitment"][2:])
    assert record["documentDigest"] == "0x" + bound_document_digest(item_commitment, digest).hex()
    entry = Entry(
        commitment=bytes.fromhex(item["commitment"][2:]),
        kind=IpRightKind.UTILITY_MODEL,
        filing_date=_dt.date(2018, 1, 9),
        document_digest=bound_document_digest(item_commitment, digest),
        claims=(
            ClaimRef(
                bytes.fromhex(jp["commitment"][2:]),
                _dt.date(2017, 9, 27),
                "JP",
                claim_token("CN", item_commitment, normalize(jp["accessCode"]).secret),
            ),
        ),
    )
    proof = [bytes.fromhex(p[2:]) for p in record["batch"]["proof"]]
    assert all(COMMITMENT.match(p) for p in record["batch"]["proof"])
    assert verify_entry(bytes.fromhex(batch["root"][2:]), encode_entry(entry), proof)
    assert not verify_entry(bytes.fromhex(batch["root"][2:]), encode_entry(entry), proof[:-1] or [b"\0" * 32])


def test_an_unknown_commitment_is_404_and_a_malformed_one_422(api: Api) -> None:
    assert_envelope(api.client.get("/v1/applications/0x" + "00" * 32), 404, "NOT_FOUND")
    for bad in ("0x1234", "zz" * 33, "0x" + "g" * 64):
        error = assert_envelope(api.client.get(f"/v1/applications/{bad}"), 422, "INVALID_INPUT_DATA")
        assert error["details"][0]["target"] == "commitment"


def test_the_simple_family_is_the_applications_with_the_same_first_filings(api: Api, family: dict[str, Any]) -> None:
    response = api.client.get(f"/v1/families/{family['us']['commitment']}")
    assert response.status_code == 200, response.text
    answer = response.json()
    assert set(answer) == {"commitment", "ipOfficeCode", "simpleFamily", "extendedFamily", "links"}
    expected = {family[k]["commitment"] for k in ("jp", "us", "ep")}
    assert set(answer["simpleFamily"]) == expected  # CN adds a second first filing: another simple family


def test_the_extended_family_joins_everything_linked_and_says_why(api: Api, family: dict[str, Any]) -> None:
    answer = api.client.get(f"/v1/families/{family['jp2']['commitment']}").json()
    members = {m["commitment"]: m for m in answer["extendedFamily"]}
    assert set(members) == {f["commitment"] for f in family.values()}
    for member in members.values():
        assert {"commitment", "ipOfficeCode", "filingDate", "ipRightKind", "applicationNumber"} <= set(member)
        assert member["applicationNumber"] is None  # nothing published
    assert members[family["cn"]["commitment"]]["ipOfficeCode"] == "CN"
    assert members[family["cn"]["commitment"]]["filingDate"] == "2018-09-20"
    links = {(link["from"], link["to"], link["claimedFilingDate"]) for link in answer["links"]}
    c = {k: v["commitment"] for k, v in family.items()}
    assert links == {
        (c["us"], c["jp"], "2017-09-27"),
        (c["ep"], c["jp"], "2017-09-27"),
        (c["cn"], c["jp"], "2017-09-27"),
        (c["cn"], c["jp2"], "2017-10-02"),
    }
    assert answer["simpleFamily"] == [c["jp2"]]


def test_the_family_of_an_unknown_commitment_is_404(api: Api) -> None:
    assert_envelope(api.client.get("/v1/families/0x" + "01" * 32), 404, "NOT_FOUND")


# ---------------------------------------------------------------------------------------------
# ST.96 (docs/api.md#other-bodies): Accept: application/xml gives the priority claims as a PriorityClaimBag


def test_an_application_in_xml_is_its_st96_priority_claim_bag(api: Api, family: dict[str, Any]) -> None:
    from xml.etree import ElementTree as ET

    from registry.domain.st96 import COMMON_NS, PATENT_NS

    pat, com = f"{{{PATENT_NS}}}", f"{{{COMMON_NS}}}"
    response = api.client.get(f"/v1/applications/{family['cn']['commitment']}", headers={"Accept": "application/xml"})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/xml")
    bag = ET.fromstring(response.content)
    assert bag.tag == pat + "PriorityClaimBag"
    claims = list(bag)
    assert [c.findtext(com + "IPOfficeCode") for c in claims] == ["JP", "JP"]
    assert [c.findtext(pat + "FilingDate") for c in claims] == ["2017-09-27", "2017-10-02"]
    # Nothing is published yet: no number is revealed
    # (docs/design.md#p1-nothing-unpublished-can-be-read-off-the-ledger).
    assert all(c.find(com + "ApplicationNumber") is None for c in claims)
    assert b"2017-187096" not in response.content


def test_json_stays_the_default_and_another_accept_is_406(api: Api, family: dict[str, Any]) -> None:
    path = f"/v1/applications/{family['us']['commitment']}"
    for accept in (None, "application/json", "*/*", "application/json, application/xml;q=0.5"):
        headers = {} if accept is None else {"Accept": accept}
        response = api.client.get(path, headers=headers)
        assert response.status_code == 200, (accept, response.text)
        assert set(response.json()) == APPLICATION_KEYS
    for accept in ("text/html", "image/png"):
        response = api.client.get(path, headers={"Accept": accept})
        assert_envelope(response, 406, "NOT_ACCEPTABLE")


def test_a_published_earlier_application_shows_its_number_in_st96(api: Api) -> None:
    from xml.etree import ElementTree as ET

    from registry.domain.st96 import COMMON_NS, PATENT_NS

    pat, com = f"{{{PATENT_NS}}}", f"{{{COMMON_NS}}}"
    jp = _anchor(api, "JP", filing("2016-100001", "2016-05-02"))
    later = _anchor(
        api,
        "US",
        filing("15/900,001", "2017-04-28", priorityClaims=[claim("JP", "2016-100001", "2016-05-02", jp["accessCode"])]),
    )
    published = api.client.post(
        "/v1/publications",
        json={"applicationNumber": "2016-100001", "accessCode": jp["accessCode"]},
        headers=api.auth("JP"),
    )
    assert published.status_code == 200, published.text
    response = api.client.get(f"/v1/applications/{later['commitment']}", headers={"Accept": "application/xml"})
    (item,) = list(ET.fromstring(response.content))
    assert item.findtext(com + "ApplicationNumber/" + com + "ApplicationNumberText") == jp["applicationNumber"]
    assert item.findtext(pat + "FilingDate") == "2016-05-02"
