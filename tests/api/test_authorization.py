"""Who may write (docs/api.md#who-is-calling, docs/spec/commitments.md#whose-record-counts and
docs/spec/governance.md#authorization-table): tokens, own numbers, PCT receiving offices."""

from __future__ import annotations

import pytest

from tests.api.conftest import Api
from tests.api.helpers import assert_envelope, filing, fresh_access_code

PCT = "PCT/US2015/027322"


@pytest.mark.parametrize("path", ["/v1/filings", "/v1/filing-batches", "/v1/publications"])
@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer "},
        {"Authorization": "Bearer prt_not-a-token"},
        {"Authorization": "Basic SlA6SlA="},
    ],
    ids=["no token", "empty token", "wrong token", "basic auth"],
)
def test_a_write_without_a_valid_office_token_is_401(api: Api, path: str, headers: dict[str, str]) -> None:
    bodies = {
        "/v1/filings": filing("2017-187096", "2017-09-27"),
        "/v1/filing-batches": {"filings": [filing("2017-187096", "2017-09-27")]},
        "/v1/publications": {"applicationNumber": "2017-187096", "accessCode": fresh_access_code()},
    }
    response = api.client.post(path, json=bodies[path], headers=headers)
    assert_envelope(response, 401, "UNAUTHENTICATED")
    assert response.headers["www-authenticate"] == "Bearer"


def test_another_offices_token_does_not_open_a_write(api: Api) -> None:
    # A token is bound to one office: the JP token cannot be used "as" US by naming a US number.
    response = api.client.post("/v1/filings", json=filing("US16123456", "2018-09-06"), headers=api.auth("JP"))
    assert_envelope(response, 403, "FORBIDDEN")


def test_an_office_cannot_anchor_another_offices_number(api: Api) -> None:
    for number in ("US16123456", "US 16/123,456"):
        error = assert_envelope(
            api.client.post("/v1/filings", json=filing(number, "2018-09-06"), headers=api.auth("EP")), 403, "FORBIDDEN"
        )
        assert "US" in error["message"]
    # Nothing was anchored: US can still anchor it.
    assert (
        api.client.post("/v1/filings", json=filing("16/123,456", "2018-09-06"), headers=api.auth("US")).status_code
        == 201
    )


def test_one_foreign_number_in_a_batch_is_403_naming_it_and_anchors_nothing(api: Api) -> None:
    own = filing("18190002", "2018-09-06")
    body = {"filings": [own, filing("US16123499", "2018-09-06")]}
    error = assert_envelope(api.client.post("/v1/filing-batches", json=body, headers=api.auth("EP")), 403, "FORBIDDEN")
    assert "filings[1]" in error["message"]
    assert api.client.post("/v1/filings", json=own, headers=api.auth("EP")).status_code == 201


def test_a_pct_number_is_anchored_by_its_receiving_office_as_a_wo_record(api: Api) -> None:
    error = assert_envelope(
        api.client.post("/v1/filings", json=filing(PCT, "2015-04-23"), headers=api.auth("EP")), 403, "FORBIDDEN"
    )
    assert "US" in error["message"]
    response = api.client.post("/v1/filings", json=filing(PCT, "2015-04-23"), headers=api.auth("US"))
    assert response.status_code == 201, response.text
    answer = response.json()
    assert (answer["ipOfficeCode"], answer["applicationNumber"]) == ("WO", "PCTUS2015027322")
    # docs/spec/commitments.md#whose-record-counts: a WO record is keyed by its anchoring office, so the IB's anchor of
    # the same commitment is its own record; the receiving office's stays what a claim is judged on.
    again = filing(PCT, "2015-04-23", accessCode=answer["accessCode"])
    assert api.client.post("/v1/filings", json=again, headers=api.auth("WO")).status_code == 201
    assert_envelope(api.client.post("/v1/filings", json=again, headers=api.auth("US")), 409, "CONFLICT")
    shown = api.client.get(f"/v1/applications/{answer['commitment']}").json()
    assert (shown["anchoredBy"], shown["alsoAnchoredBy"]) == ("US", ["WO"])
    by_ib = api.client.get(f"/v1/applications/{answer['commitment']}?ipOfficeCode=WO").json()
    assert (by_ib["anchoredBy"], by_ib["alsoAnchoredBy"]) == ("WO", ["US"])


def test_a_pct_number_is_anchored_by_the_international_bureau(api: Api) -> None:
    response = api.client.post("/v1/filings", json=filing("PCT/US2015/027323", "2015-04-23"), headers=api.auth("WO"))
    assert response.status_code == 201, response.text
    assert response.json()["ipOfficeCode"] == "WO"


def test_an_office_cannot_publish_another_offices_application(api: Api) -> None:
    jp = api.client.post("/v1/filings", json=filing("2017-187400", "2017-09-27"), headers=api.auth("JP")).json()
    body = {"applicationNumber": "JP2017187400", "accessCode": jp["accessCode"]}
    assert_envelope(api.client.post("/v1/publications", json=body, headers=api.auth("US")), 403, "FORBIDDEN")
    # Still unpublished: JP publishes it.
    assert api.client.post("/v1/publications", json=body, headers=api.auth("JP")).status_code == 200


def test_the_ib_cannot_publish_a_pct_application_its_receiving_office_anchored(api: Api) -> None:
    number = "PCT/US2015/027324"
    us = api.client.post("/v1/filings", json=filing(number, "2015-04-23"), headers=api.auth("US")).json()
    body = {"applicationNumber": number, "accessCode": us["accessCode"]}
    assert_envelope(api.client.post("/v1/publications", json=body, headers=api.auth("WO")), 403, "FORBIDDEN")
    assert_envelope(api.client.post("/v1/publications", json=body, headers=api.auth("EP")), 403, "FORBIDDEN")
    assert api.client.post("/v1/publications", json=body, headers=api.auth("US")).status_code == 200
