"""The answer models (:mod:`registry.service.answers`): one shape, the same for the API and the CLI."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from pydantic import TypeAdapter, ValidationError

from registry.domain.calendar import OfficeCalendar
from registry.domain.rules import LaterApplication, PriorityClaim, RegisteredApplication, verify_claim
from registry.domain.types import IpRightKind
from registry.service.answers import Answer, FamilyOut, KindName, LinkOut, MemberOut, VerificationOut

D = dt.date.fromisoformat
COMMITMENT = "0x" + "5a" * 32


def _late_claim() -> VerificationOut:
    # One day late at the USPTO: restorable, with a restoration route and a request deadline.
    registered = RegisteredApplication(COMMITMENT, "EP", D("2023-03-06"), IpRightKind.PATENT, 2)
    verification = verify_claim(
        PriorityClaim("EP", "EP23123456", D("2023-03-06")),
        LaterApplication("US", D("2024-03-07"), IpRightKind.PATENT),
        registered,
        OfficeCalendar(),
    )
    return VerificationOut.of(verification)


def _family() -> FamilyOut:
    other = "0x" + "6b" * 32
    return FamilyOut(
        commitment=COMMITMENT,
        ip_office_code="EP",
        simple_family=[COMMITMENT],
        extended_family=[
            MemberOut(
                commitment=COMMITMENT,
                anchored=True,
                ip_office_code="EP",
                filing_date=D("2023-03-06"),
                ip_right_kind=IpRightKind.UTILITY_MODEL,
                application_number=None,
            ),
            MemberOut(
                commitment=other,
                anchored=False,
                ip_office_code="JP",
                filing_date=None,
                ip_right_kind=None,
                application_number=None,
            ),
        ],
        links=[
            LinkOut(
                from_=COMMITMENT,
                to=other,
                claimed_filing_date=D("2022-04-01"),
                from_office="EP",
                to_office="JP",
                confirmed=False,
            )
        ],
    )


def test_a_verification_is_written_in_the_api_shape() -> None:
    body = _late_claim().body()
    assert list(body) == [
        "verdict",
        "checks",
        "priorityPeriodEnd",
        "restorationPeriodEnd",
        "registered",
        "restoration",
        "evidence",
    ]
    assert body["evidence"] is None  # no ledger behind this one (docs/api.md#evidence)
    assert body["verdict"] == "restorable"
    assert body["priorityPeriodEnd"] == "2024-03-06"
    assert body["registered"] == {
        "commitment": COMMITMENT,
        "ipOfficeCode": "EP",
        "filingDate": "2023-03-06",
        "ipRightKind": "patent",
        "version": 2,
    }
    assert list(body["restoration"]) == ["available", "criterion", "requestDeadline", "rule"]
    assert body["restoration"]["criterion"] == "unintentional"
    assert all(list(c) == ["name", "passed", "severity", "message"] for c in body["checks"])
    assert {c["severity"] for c in body["checks"]} <= {"error", "warning"}


def test_a_family_writes_names_and_nulls_never_missing_keys() -> None:
    body = _family().body()
    assert list(body) == ["commitment", "ipOfficeCode", "simpleFamily", "extendedFamily", "links"]
    anchored, pending = body["extendedFamily"]
    assert anchored["ipRightKind"] == "utilityModel" and anchored["filingDate"] == "2023-03-06"
    assert pending == {
        "commitment": "0x" + "6b" * 32,
        "anchored": False,
        "ipOfficeCode": "JP",
        "filingDate": None,
        "ipRightKind": None,
        "applicationNumber": None,
    }
    assert list(body["links"][0]) == ["from", "to", "claimedFilingDate", "fromOffice", "toOffice", "confirmed"]


@pytest.mark.parametrize("answer", [_late_claim(), _family()], ids=["verification", "family"])
def test_the_cli_prints_the_bytes_the_api_sends_reformatted_only(answer: Answer) -> None:
    # The API's body comes from pydantic's JSON writer, the CLI's --json from json.dumps(body()):
    # same keys, same order, same values; only the separators differ.
    api_bytes = TypeAdapter(type(answer)).dump_json(answer, by_alias=True)
    assert answer.body() == json.loads(api_bytes)
    assert json.dumps(answer.body(), separators=(",", ":")).encode() == api_bytes


def test_a_body_reads_back_into_the_same_answer() -> None:
    for answer in (_late_claim(), _family()):
        assert type(answer).model_validate(answer.body()) == answer


def test_a_kind_is_held_as_the_domain_value_and_written_as_its_name() -> None:
    kind = TypeAdapter(KindName)
    assert kind.validate_python("design") is IpRightKind.DESIGN
    assert kind.validate_python(IpRightKind.TRADEMARK) is IpRightKind.TRADEMARK
    assert kind.dump_python(IpRightKind.UTILITY_MODEL, mode="json") == "utilityModel"
    assert kind.json_schema() == {"enum": ["patent", "utilityModel", "design", "trademark"], "type": "string"}
    with pytest.raises(ValidationError, match="not one of patent, utilityModel, design, trademark"):
        kind.validate_python("PATENT")
