"""``GET /v1/applications/{commitment}/priority-claims``: every claim of an application, verified from the ledger alone
(docs/api.md#other-bodies; issue 17, item 1).

Over a real embedded chain: applications with no claim, one claim and several — one on time, one late, one withdrawn,
one whose earlier application is not anchored yet (and is, later on). Each verification is held against the verify
endpoint's own answer for the same claim with the record as the later application: the same rules, the same verdict.
"""

from __future__ import annotations

from typing import Any

import pytest

from registry.domain.commitments import parse_commitment
from tests.api.conftest import Api
from tests.api.helpers import (
    COMMITMENT,
    assert_envelope,
    assert_verification,
    check,
    claim,
    filing,
    fresh_access_code,
    verify_body,
)

CLAIM_KEYS = {"earlierCommitment", "ipOfficeCode", "claimedFilingDate", "withdrawn", "verification"}


def _anchor(api: Api, office: str, body: dict[str, Any]) -> dict[str, Any]:
    response = api.client.post("/v1/filings", json=body, headers=api.auth(office))
    assert response.status_code == 201, response.text
    answer: dict[str, Any] = response.json()
    return answer


def _claims(api: Api, commitment: str, **params: str) -> dict[str, Any]:
    response = api.client.get(f"/v1/applications/{commitment}/priority-claims", params=params)
    assert response.status_code == 200, response.text
    answer: dict[str, Any] = response.json()
    assert set(answer) == {"commitment", "priorityClaims"}
    assert answer["commitment"] == commitment
    for item in answer["priorityClaims"]:
        assert set(item) == CLAIM_KEYS, item
        assert COMMITMENT.match(item["earlierCommitment"])
        assert_verification(item["verification"])
    return answer


def _judgement(verification: dict[str, Any]) -> dict[str, Any]:
    """The verification without its ledger evidence (whose ``input`` is each request's own)."""
    return {k: v for k, v in verification.items() if k != "evidence"}


def _without_messages(verification: dict[str, Any]) -> dict[str, Any]:
    checks = [{k: v for k, v in c.items() if k != "message"} for c in verification["checks"]]
    return {**_judgement(verification), "checks": checks}


@pytest.fixture(scope="module")
def desk(api: Api) -> dict[str, Any]:
    """JP first filings A and B; EP's C, whose claim comes before C is anchored; a US application with no claim,
    one with a claim on A, and a CN application claiming A, B (withdrawn afterwards) and C, and an EP one late on A."""
    a = _anchor(api, "JP", filing("2017-187096", "2017-09-27"))
    b = _anchor(api, "JP", filing("2017-187200", "2017-10-02"))
    c_code = fresh_access_code()
    c_claim = claim("EP", "17190001", "2017-11-06", c_code)
    a_claim = claim("JP", "2017-187096", "2017-09-27", a["accessCode"])
    b_claim = claim("JP", "2017-187200", "2017-10-02", b["accessCode"])
    none = _anchor(api, "US", filing("16/100,001", "2018-09-05"))
    one = _anchor(api, "US", filing("16/123,456", "2018-09-06", priorityClaims=[a_claim]))
    several = _anchor(api, "CN", filing("201810601862", "2018-09-20", priorityClaims=[a_claim, b_claim, c_claim]))
    late = _anchor(api, "EP", filing("18195432", "2018-10-29", priorityClaims=[a_claim]))
    service = api.service
    service.client_for("CN").withdraw_priority_claim(
        parse_commitment(several["commitment"]), "JP", parse_commitment(b["commitment"])
    )
    service.sync()
    return {
        "a": a,
        "b": b,
        "none": none,
        "one": one,
        "several": several,
        "late": late,
        "a_claim": a_claim,
        "b_claim": b_claim,
        "c_claim": c_claim,
        "c_number": "17190001",
    }


def test_an_application_without_claims_has_an_empty_list(api: Api, desk: dict[str, Any]) -> None:
    assert _claims(api, desk["none"]["commitment"])["priorityClaims"] == []


def test_one_claim_is_verified_as_the_verify_endpoint_verifies_it(api: Api, desk: dict[str, Any]) -> None:
    (item,) = _claims(api, desk["one"]["commitment"])["priorityClaims"]

    assert item["earlierCommitment"] == desk["a"]["commitment"]
    assert (item["ipOfficeCode"], item["claimedFilingDate"], item["withdrawn"]) == ("JP", "2017-09-27", False)
    verification = item["verification"]
    assert verification["verdict"] == "valid"
    assert verification["priorityPeriodEnd"] == "2018-09-27"
    assert verification["registered"]["commitment"] == desk["a"]["commitment"]
    # The same claim through the verify endpoint, with this record as the later application.
    direct = api.client.post("/v1/priority-claims/verify", json=verify_body(desk["a_claim"], "US", "2018-09-06"))
    assert _without_messages(verification) == _without_messages(direct.json())
    # The number is not on the ledger before publication: the message names the commitment instead.
    assert desk["a"]["commitment"] in check(verification, "registered")["message"]


def test_several_claims_in_chain_order_one_withdrawn_one_not_anchored_yet(api: Api, desk: dict[str, Any]) -> None:
    claims = _claims(api, desk["several"]["commitment"])["priorityClaims"]

    assert [c["ipOfficeCode"] for c in claims] == ["JP", "JP", "EP"]
    assert [c["earlierCommitment"] for c in claims[:2]] == [desk["a"]["commitment"], desk["b"]["commitment"]]
    assert [c["withdrawn"] for c in claims] == [False, True, False]
    assert [c["claimedFilingDate"] for c in claims] == ["2017-09-27", "2017-10-02", "2017-11-06"]
    on_a, on_b, on_c = (c["verification"] for c in claims)
    assert on_a["verdict"] == "valid"
    # Withdrawn, and still verified: the history keeps it, and so does the examiner's view.
    assert on_b["verdict"] == "valid" and on_b["registered"]["commitment"] == desk["b"]["commitment"]
    # Not anchored yet: notFound, and the message speaks of the commitment, not of an access code.
    assert on_c["verdict"] == "notFound" and on_c["registered"] is None and on_c["priorityPeriodEnd"] is None
    (registered,) = on_c["checks"]
    assert registered["name"] == "registered" and not registered["passed"]
    assert "has not anchored" in registered["message"] and "access code" not in registered["message"]
    for claimed, verification in ((desk["a_claim"], on_a), (desk["b_claim"], on_b)):
        direct = api.client.post("/v1/priority-claims/verify", json=verify_body(claimed, "CN", "2018-09-20"))
        assert _without_messages(verification) == _without_messages(direct.json())


def test_a_late_claim_is_restorable_with_the_later_offices_route(api: Api, desk: dict[str, Any]) -> None:
    (item,) = _claims(api, desk["late"]["commitment"])["priorityClaims"]

    verification = item["verification"]
    assert verification["verdict"] == "restorable"
    assert verification["restoration"]["criterion"] == "dueCare"  # the EPO's (EPC Art. 122, R.136)
    direct = api.client.post("/v1/priority-claims/verify", json=verify_body(desk["a_claim"], "EP", "2018-10-29"))
    assert _without_messages(verification) == _without_messages(direct.json())


def test_once_the_earlier_application_is_anchored_and_published_the_answer_is_the_verify_answer(
    api: Api, desk: dict[str, Any]
) -> None:
    c = _anchor(api, "EP", filing(desk["c_number"], "2017-11-06", accessCode=desk["c_claim"]["accessCode"]))
    published = api.client.post(
        "/v1/publications",
        headers=api.auth("JP"),
        json={"applicationNumber": "2017-187096", "accessCode": desk["a"]["accessCode"]},
    )
    assert published.status_code == 200, published.text

    claims = _claims(api, desk["several"]["commitment"])["priorityClaims"]
    on_a, _on_b, on_c = (item["verification"] for item in claims)
    assert claims[2]["earlierCommitment"] == c["commitment"]
    assert on_c["verdict"] == "valid"
    # A's number is on the ledger now: judged exactly as a verify call naming it, messages included.
    direct = api.client.post("/v1/priority-claims/verify", json=verify_body(desk["a_claim"], "CN", "2018-09-20"))
    assert _judgement(on_a) == _judgement(direct.json())


def test_the_office_query_names_the_record_and_an_unknown_commitment_is_the_standard_404(
    api: Api, desk: dict[str, Any]
) -> None:
    assert len(_claims(api, desk["several"]["commitment"], ipOfficeCode="CN")["priorityClaims"]) == 3
    unknown = "0x" + "ab" * 32
    body = assert_envelope(api.client.get(f"/v1/applications/{unknown}/priority-claims"), 404, "NOT_FOUND")
    assert body == assert_envelope(api.client.get(f"/v1/applications/{unknown}"), 404, "NOT_FOUND")
    other_office = api.client.get(
        f"/v1/applications/{desk['several']['commitment']}/priority-claims", params={"ipOfficeCode": "US"}
    )
    assert_envelope(other_office, 404, "NOT_FOUND")
    assert_envelope(api.client.get("/v1/applications/0x12/priority-claims"), 422, "INVALID_INPUT_DATA")


def test_the_answer_carries_an_etag_and_is_revalidated(api: Api, desk: dict[str, Any]) -> None:
    url = f"/v1/applications/{desk['one']['commitment']}/priority-claims"
    first = api.client.get(url)
    assert first.headers["cache-control"] == "no-cache"
    again = api.client.get(url, headers={"If-None-Match": first.headers["etag"]})
    assert again.status_code == 304 and again.content == b""
