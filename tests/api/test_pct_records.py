"""docs/spec/commitments.md#whose-record-counts: a PCT application may be anchored by its receiving office and by the
IB.

A claim on it is judged on the receiving office's record, on the IB's only when the receiving
office has none; when both exist and differ, the verification carries a warning (the verdict is
the receiving office's). Another office's record of the same 32 bytes is never looked at.
"""

from __future__ import annotations

from typing import Any

from tests.api.conftest import Api
from tests.api.helpers import assert_verification, claim, filing, fresh_access_code, verify_body

NUMBER = "PCT/US2019/012345"


def _file(api: Api, office: str, day: str, code: str, number: str = NUMBER) -> dict[str, Any]:
    response = api.client.post("/v1/filings", json=filing(number, day, accessCode=code), headers=api.auth(office))
    assert response.status_code == 201, response.text
    answer: dict[str, Any] = response.json()
    return answer


def _verify(api: Api, code: str, day: str, number: str = NUMBER) -> dict[str, Any]:
    response = api.client.post(
        "/v1/priority-claims/verify", json=verify_body(claim("WO", number, day, code), "JP", "2019-09-01")
    )
    assert response.status_code == 200, response.text
    answer: dict[str, Any] = response.json()
    assert_verification(answer)
    return answer


def _warning(answer: dict[str, Any]) -> dict[str, Any] | None:
    return next((c for c in answer["checks"] if c["name"] == "pctRecordsAgree"), None)


def test_the_receiving_office_is_judged_and_a_differing_ib_record_is_a_warning(api: Api) -> None:
    code = fresh_access_code()
    # Only the IB holds it: judged on the IB's record, no warning.
    ib = _file(api, "WO", "2019-01-11", code)
    answer = _verify(api, code, "2019-01-11")
    assert answer["verdict"] == "valid" and _warning(answer) is None
    # The receiving office anchors the same application with another filing date.
    us = _file(api, "US", "2019-01-10", code)
    assert us["commitment"] == ib["commitment"]
    answer = _verify(api, code, "2019-01-10")
    assert answer["verdict"] == "valid"  # the receiving office's date decides
    warning = _warning(answer)
    assert warning is not None and warning["severity"] == "warning" and warning["passed"] is False
    assert "filing date" in warning["message"]
    assert _verify(api, code, "2019-01-11")["verdict"] == "invalid"  # the IB's date is not the one judged
    # Another office's copy of the same bytes changes nothing of it.
    ep = api.client.post("/v1/filings", json=filing(NUMBER, "2019-01-09", accessCode=code), headers=api.auth("EP"))
    assert ep.status_code == 403, ep.text


def test_records_that_agree_carry_no_warning(api: Api) -> None:
    code, number = fresh_access_code(), "PCT/US2019/054321"
    _file(api, "US", "2019-02-01", code, number)
    _file(api, "WO", "2019-02-01", code, number)
    answer = _verify(api, code, "2019-02-01", number)
    assert answer["verdict"] == "valid" and _warning(answer) is None
