"""``POST /v1/priority-claims/verify`` through HTTP: the verdicts of docs/spec/priority-rules.md#verdicts and the
notFound rule."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from tests.api.conftest import Api
from tests.api.helpers import (
    assert_envelope,
    assert_verification,
    check,
    claim,
    filing,
    fresh_access_code,
    verify_body,
)

VERIFY = "/v1/priority-claims/verify"
JP_CODE = fresh_access_code()


@pytest.fixture(scope="module")
def jp_patent(api: Api) -> dict[str, Any]:
    """JP 2017-187096, a patent filed on Wednesday 2017-09-27 (its 12 months end on Thursday 2018-09-27)."""
    body = filing("2017-187096", "2017-09-27", accessCode=JP_CODE)
    response = api.client.post("/v1/filings", json=body, headers=api.auth("JP"))
    assert response.status_code == 201, response.text
    answer: dict[str, Any] = response.json()
    return answer


def _priority(jp: dict[str, Any], day: str = "2017-09-27", code: str | None = None) -> dict[str, Any]:
    return claim("JP", "2017-187096", day, code or jp["accessCode"])


def _verify(api: Api, body: dict[str, Any]) -> dict[str, Any]:
    response = api.client.post(VERIFY, json=body)
    assert response.status_code == 200, response.text
    answer: dict[str, Any] = response.json()
    assert_verification(answer)
    return answer


def test_a_claim_within_twelve_months_is_valid(api: Api, jp_patent: dict[str, Any]) -> None:
    answer = _verify(api, verify_body(_priority(jp_patent), "US", "2018-09-06"))
    assert answer["verdict"] == "valid"
    names = {c["name"] for c in answer["checks"]}
    assert {
        "registered",
        "filingDateMatches",
        "ipRightKindCompatible",
        "withinPriorityPeriod",
        "firstApplication",
    } <= names
    assert all(c["passed"] for c in answer["checks"])
    assert answer["priorityPeriodEnd"] == "2018-09-27"
    assert answer["restorationPeriodEnd"] == "2018-11-27"
    assert answer["registered"] == {
        "commitment": jp_patent["commitment"],
        "ipOfficeCode": "JP",
        "filingDate": "2017-09-27",
        "ipRightKind": "patent",
        "version": 1,
    }


def test_a_claim_one_month_late_is_restorable(api: Api, jp_patent: dict[str, Any]) -> None:
    answer = _verify(api, verify_body(_priority(jp_patent), "US", "2018-10-27"))
    assert answer["verdict"] == "restorable"
    assert check(answer, "withinPriorityPeriod")["passed"] is False


def test_a_claim_two_months_and_a_day_late_is_invalid(api: Api, jp_patent: dict[str, Any]) -> None:
    answer = _verify(api, verify_body(_priority(jp_patent), "US", "2018-11-28"))
    assert answer["verdict"] == "invalid"
    assert check(answer, "withinPriorityPeriod")["passed"] is False


def test_a_date_mismatch_is_invalid_and_names_the_registered_date(api: Api, jp_patent: dict[str, Any]) -> None:
    answer = _verify(api, verify_body(_priority(jp_patent, day="2017-09-28"), "US", "2018-09-06"))
    assert answer["verdict"] == "invalid"
    mismatch = check(answer, "filingDateMatches")
    assert mismatch["passed"] is False
    assert "2017-09-27" in mismatch["message"]
    assert answer["registered"]["filingDate"] == "2017-09-27"


def test_a_cn_design_claiming_a_jp_patent_is_valid_with_a_warning(api: Api, jp_patent: dict[str, Any]) -> None:
    answer = _verify(api, verify_body(_priority(jp_patent), "CN", "2018-02-26", "design"))
    kinds = check(answer, "ipRightKindCompatible")
    assert kinds["severity"] == "warning"
    assert kinds["passed"] is False
    assert answer["verdict"] == "valid"
    assert answer["restorationPeriodEnd"] is None  # designs have no restoration


def test_a_trademark_claiming_a_patent_is_invalid(api: Api, jp_patent: dict[str, Any]) -> None:
    answer = _verify(api, verify_body(_priority(jp_patent), "US", "2018-02-26", "trademark"))
    assert answer["verdict"] == "invalid"
    kinds = check(answer, "ipRightKindCompatible")
    assert (kinds["passed"], kinds["severity"]) == (False, "error")


def test_a_divisional_is_judged_from_its_parents_date(api: Api, jp_patent: dict[str, Any]) -> None:
    late = verify_body(_priority(jp_patent), "US", "2019-06-03")
    assert _verify(api, late)["verdict"] == "invalid"
    late["later"]["parentFilingDate"] = "2018-09-06"
    assert _verify(api, late)["verdict"] == "valid"


def test_a_priority_application_that_itself_claims_priority_gets_a_first_application_warning(api: Api) -> None:
    cn = api.client.post("/v1/filings", json=filing("201710601862", "2017-03-01"), headers=api.auth("CN")).json()
    body = filing(
        "2017-187097", "2017-09-27", priorityClaims=[claim("CN", "201710601862", "2017-03-01", cn["accessCode"])]
    )
    jp = api.client.post("/v1/filings", json=body, headers=api.auth("JP")).json()
    answer = _verify(api, verify_body(claim("JP", "2017-187097", "2017-09-27", jp["accessCode"]), "US", "2018-09-06"))
    first = check(answer, "firstApplication")
    assert (first["passed"], first["severity"]) == (False, "warning")
    assert "2017-03-01" in first["message"]
    assert answer["verdict"] == "valid"


def test_an_unknown_application_is_not_found(api: Api) -> None:
    answer = _verify(
        api, verify_body(claim("JP", "2016-000001", "2016-01-05", fresh_access_code()), "US", "2016-06-01")
    )
    assert answer["verdict"] == "notFound"
    assert answer["registered"] is None
    assert answer["priorityPeriodEnd"] is None
    assert answer["restorationPeriodEnd"] is None


def test_a_wrong_access_code_and_an_unknown_application_give_byte_identical_answers(api: Api) -> None:
    wrong = fresh_access_code()
    body = verify_body(claim("JP", "2017-187098", "2017-09-27", wrong), "US", "2018-09-06")
    before = api.client.post(VERIFY, json=body)  # nothing anchored under that number yet
    anchored = api.client.post("/v1/filings", json=filing("2017-187098", "2017-09-27"), headers=api.auth("JP"))
    assert anchored.status_code == 201
    assert anchored.json()["accessCode"] != wrong
    after = api.client.post(VERIFY, json=body)  # anchored now, asked with the wrong code
    assert before.status_code == after.status_code == 200
    assert after.json()["verdict"] == "notFound"
    assert before.content == after.content
    assert before.headers["content-length"] == after.headers["content-length"]


def test_another_offices_record_does_not_answer_for_a_claim(api: Api) -> None:
    us = api.client.post("/v1/filings", json=filing("16/555,001", "2017-09-27"), headers=api.auth("US")).json()
    # The same canonical digits and code claimed at EP name another application: not found.
    answer = _verify(api, verify_body(claim("EP", "16555001", "2017-09-27", us["accessCode"]), "CN", "2018-09-06"))
    assert answer["verdict"] == "notFound"


def test_verification_needs_no_token(api: Api, jp_patent: dict[str, Any]) -> None:
    response = api.client.post(VERIFY, json=verify_body(_priority(jp_patent), "US", "2018-09-06"))
    assert response.status_code == 200


@pytest.mark.parametrize(
    ("change", "target"),
    [
        ({"applicationNumber": "2017-18709X"}, "priority.applicationNumber"),
        ({"accessCode": "NOT-A-CODE"}, "priority.accessCode"),
        ({"filingDate": "2017-02-30"}, "priority.filingDate"),
        ({"filingDate": "0001-01-01"}, "priority.filingDate"),
        ({"ipOfficeCode": "ZZ"}, "priority.ipOfficeCode"),
    ],
)
def test_a_malformed_number_code_or_date_is_a_422_not_a_verdict(
    api: Api, jp_patent: dict[str, Any], change: dict[str, str], target: str
) -> None:
    body = verify_body({**_priority(jp_patent), **change}, "US", "2018-09-06")
    error = assert_envelope(api.client.post(VERIFY, json=body), 422, "INVALID_INPUT_DATA")
    assert error["details"][0]["target"] == target


# ── arbitrary JSON never makes the endpoint fail ─────────────────────────────────────────────────

_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=30),
    st.sampled_from(["2017-09-27", "2023-02-30", "0001-01-01", "JP", "ZZ", "patent", "design", "2017-187096"]),
)
_json = st.recursive(
    _scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=12), inner, max_size=4)),
    max_leaves=12,
)
_field = st.one_of(_scalars, _json)


_GOOD: dict[str, dict[str, tuple[str, ...]]] = {
    "priority": {
        "ipOfficeCode": ("JP", "jp", "US", "WO"),
        "applicationNumber": ("2017-187096", "特願2017-187096", "JP2017187096", "PCT/US2015/027322"),
        "filingDate": ("2017-09-27", "2017-09-28", "2016-02-29"),
        "accessCode": (JP_CODE, JP_CODE.lower().replace("-", ""), fresh_access_code()),
    },
    "later": {
        "ipOfficeCode": ("US", "CN", "EP"),
        "filingDate": ("2018-09-06", "2018-10-27", "2018-11-28", "2099-12-31", "1970-01-02"),
        "ipRightKind": ("patent", "utilityModel", "design", "trademark"),
    },
}


@st.composite
def _near_valid(draw: st.DrawFn) -> dict[str, Any]:
    """A well-formed claim (so the rules run), often with one field replaced by arbitrary JSON."""
    body: dict[str, Any] = {
        part: {key: draw(st.sampled_from(values)) for key, values in fields.items()} for part, fields in _GOOD.items()
    }
    if draw(st.booleans()):
        body["later"]["parentFilingDate"] = draw(st.sampled_from(["2018-01-02", "2018-09-06", "2019-01-01"]))
    if draw(st.booleans()):
        part = draw(st.sampled_from(["priority", "later"]))
        key = draw(st.sampled_from([*_GOOD[part], "parentFilingDate", "unexpected"]))
        if draw(st.booleans()):
            body[part][key] = draw(_field)
        else:
            body[part].pop(key, None)
    return body


_bodies = st.one_of(_json, _near_valid(), st.fixed_dictionaries({"priority": _json, "later": _json}))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=_bodies)
def test_arbitrary_json_gets_a_verdict_or_an_envelope_never_a_500(
    api: Api, jp_patent: dict[str, Any], body: Any
) -> None:
    response = api.client.post(VERIFY, json=body)
    assert response.status_code < 500, response.text
    event(f"status {response.status_code}" + (f" {response.json()['verdict']}" if response.status_code == 200 else ""))
    if response.status_code == 200:
        assert_verification(response.json())
    else:
        assert_envelope(response, 422, "INVALID_INPUT_DATA")


# ── Whose calendar: a PCT application's receiving Office (docs/api.md#verifying-a-claim,
# docs/spec/priority-rules.md#end-of-the-period) ──────────


GOOD_FRIDAY_CODE = fresh_access_code()


@pytest.fixture(scope="module")
def good_friday_patent(api: Api) -> dict[str, Any]:
    """JP 2023-050001, filed 2023-03-29: its 12 months end on Good Friday 2024-03-29."""
    body = filing("2023-050001", "2023-03-29", accessCode=GOOD_FRIDAY_CODE)
    response = api.client.post("/v1/filings", json=body, headers=api.auth("JP"))
    assert response.status_code == 201, response.text
    answer: dict[str, Any] = response.json()
    return answer


def _good_friday(api: Api, office: str, **later: Any) -> dict[str, Any]:
    priority = claim("JP", "2023-050001", "2023-03-29", GOOD_FRIDAY_CODE)
    return _verify(api, verify_body(priority, office, "2024-04-02", **later))


@pytest.mark.parametrize(
    ("office", "number", "verdict", "end"),
    [
        ("WO", "PCT/EP2024/012345", "valid", "2024-04-02"),  # RO/EP closed Good Friday and Easter Monday
        ("EP", "PCT/EP2024/012345", "valid", "2024-04-02"),  # a Euro-PCT: still the RO's calendar
        ("WO", "PCT/IB2024/050001", "valid", "2024-04-02"),  # the IB (Geneva) too
        ("EP", "PCT/US2024/012345", "restorable", "2024-03-29"),  # RO/US is open on Good Friday
    ],
)
def test_a_pct_application_is_judged_on_its_receiving_offices_calendar(
    api: Api, good_friday_patent: dict[str, Any], office: str, number: str, verdict: str, end: str
) -> None:
    answer = _good_friday(api, office, applicationNumber=number)
    assert answer["verdict"] == verdict
    assert answer["priorityPeriodEnd"] == end
    assert "PCT" in check(answer, "withinPriorityPeriod")["message"]


def test_a_wo_application_without_a_number_uses_the_ib_calendar_with_a_warning(
    api: Api, good_friday_patent: dict[str, Any]
) -> None:
    answer = _good_friday(api, "WO")
    assert answer["priorityPeriodEnd"] == "2024-04-02"
    known = check(answer, "closingDaysKnown")
    assert known["passed"] is False and known["severity"] == "warning"
    assert "receiving Office was not given" in known["message"]


def test_an_ep_later_application_names_the_epos_rules_and_restoration(
    api: Api, good_friday_patent: dict[str, Any]
) -> None:
    priority = claim("JP", "2023-050001", "2023-03-29", GOOD_FRIDAY_CODE)
    answer = _verify(api, verify_body(priority, "EP", "2024-04-03"))
    assert answer["verdict"] == "restorable"
    assert answer["restoration"] == {
        "available": True,
        "criterion": "dueCare",
        "requestDeadline": "2024-06-03",
        "rule": answer["restoration"]["rule"],
    }
    assert "EPC Rule 134(1)" in check(answer, "withinPriorityPeriod")["message"]
    assert "Paris Convention" not in check(answer, "withinPriorityPeriod")["message"]


def test_a_malformed_later_number_is_a_422_at_its_field(api: Api, good_friday_patent: dict[str, Any]) -> None:
    priority = claim("JP", "2023-050001", "2023-03-29", GOOD_FRIDAY_CODE)
    response = api.client.post(VERIFY, json=verify_body(priority, "US", "2024-04-02", applicationNumber="PCT/XX/1"))
    error = assert_envelope(response, 422, "INVALID_INPUT_DATA")
    assert "later.applicationNumber" in [d.get("target") for d in error["details"]], error


def test_the_openapi_document_describes_restoration_and_the_later_number(api: Api) -> None:
    schemas = api.client.get("/openapi.json").json()["components"]["schemas"]
    assert {"available", "criterion", "requestDeadline", "rule"} <= set(schemas["RestorationOut"]["properties"])
    assert {"applicationNumber", "parentRelation"} <= set(schemas["LaterIn"]["properties"])


@pytest.mark.parametrize(
    ("office", "number", "verdict"), [("EP", "PCT/EP2024/012345", "valid"), ("US", "PCT/US2024/012345", "restorable")]
)
def test_an_anchored_pct_filing_judges_its_claims_on_its_receiving_offices_calendar(
    api: Api, good_friday_patent: dict[str, Any], office: str, number: str, verdict: str
) -> None:
    # The import and POST /v1/filings take the later number from the filing itself.
    body = filing(number, "2024-04-02", priorityClaims=[claim("JP", "2023-050001", "2023-03-29", GOOD_FRIDAY_CODE)])
    response = api.client.post("/v1/filings", json=body, headers=api.auth(office))
    assert response.status_code == 201, response.text
    (recorded,) = response.json()["priorityClaims"]
    assert recorded["verification"]["verdict"] == verdict
    assert "PCT Rule 80.5" in check(recorded["verification"], "closingDaysKnown")["message"]


@pytest.mark.parametrize(
    ("raw", "details"),
    [
        (b"", [("required", None)]),
        (b"[]", [("wrongType", None)]),
        (
            b'{"priority": {}}',
            [("required", f"priority.{f}") for f in ("ipOfficeCode", "applicationNumber", "filingDate", "accessCode")]
            + [("required", "later")],
        ),
        (
            b'{"priority": 5, "later": {}, "extra": 1}',
            [("wrongType", "priority")]
            + [("required", f"later.{f}") for f in ("ipOfficeCode", "filingDate", "ipRightKind")]
            + [("unknownField", "extra")],
        ),
    ],
    ids=["empty", "array", "missing-fields", "wrong-types"],
)
def test_a_malformed_verification_body_is_refused_as_any_model_body_is(
    api: Api, raw: bytes, details: list[tuple[str, str | None]]
) -> None:
    """The route reads its own body (api.routes.verification); the refusals stay FastAPI's, field by field."""
    response = api.client.post(VERIFY, content=raw, headers={"content-type": "application/json"})
    error = assert_envelope(response, 422, "INVALID_INPUT_DATA")
    assert [(d["code"], d.get("target")) for d in error["details"]] == details, error
