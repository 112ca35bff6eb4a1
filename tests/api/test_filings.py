"""``POST /v1/filings`` and ``POST /v1/filing-batches`` through HTTP (docs/api.md#anchoring-a-filing)."""

from __future__ import annotations

import hashlib

from registry.domain.commitments import bound_document_digest
from tests.api.conftest import Api
from tests.api.helpers import (
    COMMITMENT,
    assert_envelope,
    assert_filing_answer,
    assert_ledger,
    check,
    claim,
    filing,
    fresh_access_code,
)


def test_an_office_anchors_its_application_with_a_document_digest(api: Api) -> None:
    digest = hashlib.sha256(b"priority document JP2017-187096").hexdigest()
    response = api.client.post(
        "/v1/filings", json=filing("2017-187096", "2017-09-27", documentDigest=digest), headers=api.auth("JP")
    )
    assert response.status_code == 201, response.text
    answer = response.json()
    assert_filing_answer(answer)
    assert answer["ipOfficeCode"] == "JP"
    assert answer["applicationNumber"] == "JP2017187096"  # canonical (docs/spec/commitments.md#canonical-numbers)
    assert answer["filingDate"] == "2017-09-27"
    assert answer["ipRightKind"] == "patent"
    assert answer["priorityClaims"] == []
    record = api.client.get(f"/v1/applications/{answer['commitment']}").json()
    # docs/spec/entries.md#document-digests-and-reports: the ledger holds the file's SHA-256 bound to the application,
    # never the bare hash.
    bound = bound_document_digest(bytes.fromhex(answer["commitment"][2:]), bytes.fromhex(digest))
    assert record["documentDigest"] == "0x" + bound.hex() != "0x" + digest
    assert record["versions"][0]["ledger"] == answer["ledger"]


def test_a_priority_claim_is_answered_with_its_whole_verification(api: Api) -> None:
    first = api.client.post("/v1/filings", json=filing("2017-187100", "2017-09-27"), headers=api.auth("JP")).json()
    body = filing(
        "16/123,456", "2018-09-06", priorityClaims=[claim("JP", "2017-187100", "2017-09-27", first["accessCode"])]
    )
    response = api.client.post("/v1/filings", json=body, headers=api.auth("US"))
    assert response.status_code == 201, response.text
    answer = response.json()
    assert_filing_answer(answer)
    assert answer["applicationNumber"] == "US16123456"
    (recorded,) = answer["priorityClaims"]
    assert recorded["commitment"] == first["commitment"]
    verification = recorded["verification"]
    assert verification["verdict"] == "valid"
    assert verification["registered"]["commitment"] == first["commitment"]
    assert verification["priorityPeriodEnd"] == "2018-09-27"


def test_a_claim_to_an_application_not_anchored_yet_is_recorded_and_verifies_once_it_is(api: Api) -> None:
    code = fresh_access_code()
    body = filing("16/123,457", "2018-09-06", priorityClaims=[claim("JP", "2017-187101", "2017-09-27", code)])
    later = api.client.post("/v1/filings", json=body, headers=api.auth("US")).json()
    assert later["priorityClaims"][0]["verification"]["verdict"] == "notFound"

    first = api.client.post(
        "/v1/filings", json=filing("2017-187101", "2017-09-27", accessCode=code), headers=api.auth("JP")
    ).json()
    assert first["commitment"] == later["priorityClaims"][0]["commitment"]
    record = api.client.get(f"/v1/applications/{first['commitment']}").json()
    assert record["claimedBy"] == [later["commitment"]]


def test_an_access_code_set_by_the_office_is_kept_in_its_display_form(api: Api) -> None:
    code = fresh_access_code()
    typed = code.replace("-", "").lower()  # as a person might type it
    answer = api.client.post(
        "/v1/filings", json=filing("2017-187102", "2017-09-27", accessCode=typed), headers=api.auth("JP")
    ).json()
    assert answer["accessCode"] == code


def test_a_divisional_is_judged_from_its_parents_filing_date(api: Api) -> None:
    first = api.client.post("/v1/filings", json=filing("2017-187103", "2017-09-27"), headers=api.auth("JP")).json()
    body = filing(
        "16/123,458",
        "2019-06-03",  # long after the 12 months
        priorityClaims=[claim("JP", "2017-187103", "2017-09-27", first["accessCode"])],
        parentApplication={"applicationNumber": "16/100,001", "filingDate": "2018-09-06", "relation": "divisional"},
    )
    answer = api.client.post("/v1/filings", json=body, headers=api.auth("US")).json()
    verification = answer["priorityClaims"][0]["verification"]
    assert verification["verdict"] == "valid"
    assert "2018-09-06" in check(verification, "withinPriorityPeriod")["message"]


def test_a_parent_filed_after_its_divisional_is_refused_before_anything_is_anchored(api: Api) -> None:
    body = filing(
        "16/123,459",
        "2018-09-06",
        parentApplication={"applicationNumber": "16/100,002", "filingDate": "2019-01-07", "relation": "continuation"},
    )
    error = assert_envelope(
        api.client.post("/v1/filings", json=body, headers=api.auth("US")), 422, "INVALID_INPUT_DATA"
    )
    assert error["details"][0]["target"] == "parentApplication.filingDate"
    # Nothing was anchored: the same application without the bad parent is accepted.
    del body["parentApplication"]
    assert api.client.post("/v1/filings", json=body, headers=api.auth("US")).status_code == 201


def test_a_parent_number_nobody_can_read_is_refused(api: Api) -> None:
    body = filing(
        "16/123,460",
        "2018-09-06",
        parentApplication={"applicationNumber": "garbage!!", "filingDate": "2018-01-08", "relation": "divisional"},
    )
    error = assert_envelope(
        api.client.post("/v1/filings", json=body, headers=api.auth("US")), 422, "INVALID_INPUT_DATA"
    )
    assert error["details"][0]["target"] == "parentApplication.applicationNumber"


def test_a_filing_date_whose_period_would_end_outside_the_calendar_is_refused(api: Api) -> None:
    response = api.client.post("/v1/filings", json=filing("2017-187104", "9999-06-01"), headers=api.auth("JP"))
    error = assert_envelope(response, 422, "INVALID_INPUT_DATA")
    assert error["details"][0]["target"] == "filingDate"


def test_anchoring_the_same_application_twice_is_a_conflict(api: Api) -> None:
    body = filing("2017-187105", "2017-09-27")
    assert api.client.post("/v1/filings", json=body, headers=api.auth("JP")).status_code == 201
    error = assert_envelope(api.client.post("/v1/filings", json=body, headers=api.auth("JP")), 409, "CONFLICT")
    assert "already anchored" in error["message"]


def test_a_batch_answers_every_filing_in_input_order(api: Api) -> None:
    numbers = ["16/200,007", "16/200,003", "16/200,009", "16/200,001", "16/200,005"]
    body = {"filings": [filing(n, "2018-09-06") for n in numbers]}
    response = api.client.post("/v1/filing-batches", json=body, headers=api.auth("US"))
    assert response.status_code == 201, response.text
    answer = response.json()
    assert set(answer) == {"batches", "filings"}
    assert [f["applicationNumber"] for f in answer["filings"]] == [
        "US" + n.replace("/", "").replace(",", "") for n in numbers
    ]
    for item in answer["filings"]:
        assert_filing_answer(item)
    assert sum(b["count"] for b in answer["batches"]) == len(numbers)
    for batch in answer["batches"]:
        assert set(batch) == {"root", "count", "transactionHash", "blockNumber"}
        assert COMMITMENT.match(batch["root"])
        assert_ledger({"transactionHash": batch["transactionHash"], "blockNumber": batch["blockNumber"]})


def test_one_bad_item_refuses_the_batch_names_its_index_and_anchors_nothing(api: Api) -> None:
    codes = [fresh_access_code() for _ in range(3)]
    good = [filing(f"16/300,00{i}", "2018-09-06", accessCode=codes[i]) for i in range(3)]

    bad_date = [*good[:2], {**good[2], "filingDate": "2018-02-30"}]
    error = assert_envelope(
        api.client.post("/v1/filing-batches", json={"filings": bad_date}, headers=api.auth("US")),
        422,
        "INVALID_INPUT_DATA",
    )
    assert error["details"][0]["target"] == "filings[2].filingDate"

    bad_number = [good[0], {**good[1], "applicationNumber": "16/300,00X"}, good[2]]
    error = assert_envelope(
        api.client.post("/v1/filing-batches", json={"filings": bad_number}, headers=api.auth("US")),
        422,
        "INVALID_INPUT_DATA",
    )
    assert error["details"][0]["target"] == "filings[1].applicationNumber"
    assert "filings[1]" in error["message"]

    # Nothing of either batch was anchored: each good item is accepted on its own now.
    for item in good:
        assert api.client.post("/v1/filings", json=item, headers=api.auth("US")).status_code == 201


def test_a_batch_of_one_names_index_zero(api: Api) -> None:
    body = {"filings": [filing("16/300,10X", "2018-09-06")]}
    error = assert_envelope(
        api.client.post("/v1/filing-batches", json=body, headers=api.auth("US")), 422, "INVALID_INPUT_DATA"
    )
    assert error["details"][0]["target"] == "filings[0].applicationNumber"


def test_a_batch_with_an_anchored_item_is_a_conflict_naming_it_and_anchors_nothing(api: Api) -> None:
    assert (
        api.client.post("/v1/filings", json=filing("16/400,002", "2018-09-06"), headers=api.auth("US")).status_code
        == 201
    )
    fresh = filing("16/400,001", "2018-09-06")
    body = {"filings": [fresh, filing("16/400,002", "2018-09-06")]}
    error = assert_envelope(api.client.post("/v1/filing-batches", json=body, headers=api.auth("US")), 409, "CONFLICT")
    assert "filings[1]" in error["message"]
    assert api.client.post("/v1/filings", json=fresh, headers=api.auth("US")).status_code == 201


def test_the_same_application_twice_in_one_batch_is_refused(api: Api) -> None:
    body = {"filings": [filing("16/400,003", "2018-09-06"), filing("16400003", "2018-09-06")]}
    error = assert_envelope(
        api.client.post("/v1/filing-batches", json=body, headers=api.auth("US")), 422, "INVALID_INPUT_DATA"
    )
    assert error["details"][0]["target"] == "filings[1].applicationNumber"


def test_a_batched_divisional_is_judged_from_its_parents_filing_date(api: Api) -> None:
    first = api.client.post("/v1/filings", json=filing("2017-187106", "2017-09-27"), headers=api.auth("JP")).json()
    divisional = filing(
        "16/400,004",
        "2019-06-03",
        priorityClaims=[claim("JP", "2017-187106", "2017-09-27", first["accessCode"])],
        parentApplication={"applicationNumber": "16/100,003", "filingDate": "2018-09-06", "relation": "divisional"},
    )
    body = {"filings": [filing("16/400,005", "2018-09-06"), divisional]}
    answer = api.client.post("/v1/filing-batches", json=body, headers=api.auth("US")).json()
    assert answer["filings"][1]["priorityClaims"][0]["verification"]["verdict"] == "valid"
