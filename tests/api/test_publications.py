"""``POST /v1/publications`` through HTTP: an office reveals the number of its own application."""

from __future__ import annotations

from typing import Any

from tests.api.conftest import Api
from tests.api.helpers import COMMITMENT, assert_envelope, assert_ledger, filing, fresh_access_code

PUBLISH = "/v1/publications"


def _anchor(api: Api, office: str, number: str, day: str = "2017-09-27") -> dict[str, Any]:
    response = api.client.post("/v1/filings", json=filing(number, day), headers=api.auth(office))
    assert response.status_code == 201, response.text
    answer: dict[str, Any] = response.json()
    return answer


def test_an_office_publishes_its_application_and_the_number_appears_on_the_record(api: Api) -> None:
    jp = _anchor(api, "JP", "2017-187096")
    response = api.client.post(
        PUBLISH, json={"applicationNumber": "特願2017-187096", "accessCode": jp["accessCode"]}, headers=api.auth("JP")
    )
    assert response.status_code == 200, response.text
    answer = response.json()
    assert set(answer) == {"commitment", "applicationNumber", "ledger"}
    assert COMMITMENT.match(answer["commitment"])
    assert answer["commitment"] == jp["commitment"]
    assert answer["applicationNumber"] == "JP2017187096"
    assert_ledger(answer["ledger"])

    record = api.client.get(f"/v1/applications/{jp['commitment']}").json()
    assert record["applicationNumber"] == "JP2017187096"
    family = api.client.get(f"/v1/families/{jp['commitment']}").json()
    (member,) = family["extendedFamily"]
    assert member["applicationNumber"] == "JP2017187096"


def test_publishing_twice_is_a_conflict(api: Api) -> None:
    jp = _anchor(api, "JP", "2017-187097")
    body = {"applicationNumber": "2017-187097", "accessCode": jp["accessCode"]}
    assert api.client.post(PUBLISH, json=body, headers=api.auth("JP")).status_code == 200
    error = assert_envelope(api.client.post(PUBLISH, json=body, headers=api.auth("JP")), 409, "CONFLICT")
    assert "already published" in error["message"]


def test_publishing_an_application_that_is_not_anchored_is_404(api: Api) -> None:
    body = {"applicationNumber": "2017-187098", "accessCode": fresh_access_code()}
    assert_envelope(api.client.post(PUBLISH, json=body, headers=api.auth("JP")), 404, "NOT_FOUND")


def test_publishing_with_a_wrong_access_code_is_404_like_an_unknown_application(api: Api) -> None:
    _anchor(api, "JP", "2017-187099")
    body = {"applicationNumber": "2017-187099", "accessCode": fresh_access_code()}
    assert_envelope(api.client.post(PUBLISH, json=body, headers=api.auth("JP")), 404, "NOT_FOUND")


def test_publishing_a_malformed_access_code_is_422(api: Api) -> None:
    body = {"applicationNumber": "2017-187099", "accessCode": "0000"}
    error = assert_envelope(api.client.post(PUBLISH, json=body, headers=api.auth("JP")), 422, "INVALID_INPUT_DATA")
    assert error["details"][0]["target"] == "accessCode"
