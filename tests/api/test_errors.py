"""Every failure is one envelope (docs/api.md#errors), malformed input is a 4xx, never a 500."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from api.app import MAX_BODY_BYTES
from api.errors import STATUS, install_error_handlers, status_for
from api.vocabulary import DETAIL_CODES
from registry import errors
from registry.ops.keys import KeyStore
from tests.api.conftest import Api
from tests.api.helpers import assert_envelope, claim, filing, fresh_access_code, verify_body

JSON = {"content-type": "application/json"}


def test_an_unknown_route_is_404_in_the_envelope(api: Api) -> None:
    assert_envelope(api.client.get("/v1/nothing-here"), 404, "NOT_FOUND")
    assert_envelope(api.client.post("/v2/filings", json={}), 404, "NOT_FOUND")


def test_a_wrong_method_is_405_in_the_envelope(api: Api) -> None:
    assert_envelope(api.client.get("/v1/filings"), 405, "METHOD_NOT_ALLOWED")
    assert_envelope(api.client.delete("/v1/offices"), 405, "METHOD_NOT_ALLOWED")


def test_an_unknown_commitment_is_404(api: Api) -> None:
    error = assert_envelope(api.client.get("/v1/applications/0x" + "ab" * 32), 404, "NOT_FOUND")
    assert "0x" + "ab" * 32 in error["message"]


def test_an_anchored_application_is_a_409_conflict(api: Api) -> None:
    body = filing("2017-187096", "2017-09-27")
    assert api.client.post("/v1/filings", json=body, headers=api.auth("JP")).status_code == 201
    error = assert_envelope(api.client.post("/v1/filings", json=body, headers=api.auth("JP")), 409, "CONFLICT")
    assert error["details"] and error["details"][0]["code"]


def test_a_request_body_over_the_limit_is_413_unread(api: Api) -> None:
    body = b'{"filings": [' + b" " * MAX_BODY_BYTES + b"]}"
    response = api.client.post("/v1/filing-batches", content=body, headers={**JSON, **api.auth("JP")})
    assert_envelope(response, 413, "PAYLOAD_TOO_LARGE")


def test_a_batch_of_none_and_a_batch_of_10001_are_422(api: Api) -> None:
    empty = api.client.post("/v1/filing-batches", json={"filings": []}, headers=api.auth("JP"))
    assert assert_envelope(empty, 422, "INVALID_INPUT_DATA")["details"][0]["target"] == "filings"
    one = json.dumps(filing("2017-187096", "2017-09-27"))
    body = ('{"filings": [' + ",".join([one] * 10_001) + "]}").encode()  # ~0.9 MB, built without pydantic
    response = api.client.post("/v1/filing-batches", content=body, headers={**JSON, **api.auth("JP")})
    error = assert_envelope(response, 422, "INVALID_INPUT_DATA")
    assert error["details"][0]["target"] == "filings"
    assert error["details"][0]["code"] == "tooManyItems"  # counted before the schema is applied
    assert "10,000" in error["message"]


_GOOD = filing("2017-187999", "2017-09-27")


@pytest.mark.parametrize(
    ("change", "target"),
    [
        ({"applicationNumber": 2017187999}, "applicationNumber"),
        ({"applicationNumber": ""}, "applicationNumber"),
        ({"applicationNumber": "1" * 10_240}, "applicationNumber"),
        ({"applicationNumber": "\u202e\x00特願\U0001f4a9"}, "applicationNumber"),
        ({"applicationNumber": None}, "applicationNumber"),
        ({"filingDate": 20170927}, "filingDate"),
        ({"filingDate": "2023-02-30"}, "filingDate"),
        ({"filingDate": "0001-01-01"}, "filingDate"),
        ({"filingDate": "1969-12-31"}, "filingDate"),
        ({"filingDate": "27.09.2017"}, "filingDate"),
        ({"filingDate": "2017-09-27T00:00:00"}, "filingDate"),
        ({"filingDate": ""}, "filingDate"),
        ({"ipRightKind": "copyright"}, "ipRightKind"),
        ({"ipRightKind": 1}, "ipRightKind"),
        ({"documentDigest": "ab" * 31}, "documentDigest"),
        ({"documentDigest": "00" * 32}, "documentDigest"),
        ({"accessCode": "x" * 10_240}, "accessCode"),
        ({"accessCode": ""}, "accessCode"),
        ({"accessCode": "0000-0000-0000-0000-1"}, "accessCode"),
        ({"priorityClaims": {}}, "priorityClaims"),
        ({"priorityClaims": [{}]}, "priorityClaims[0].ipOfficeCode"),
        ({"unknownField": 1}, "unknownField"),
        ({"ipOfficeCode": "JP"}, "ipOfficeCode"),
        (
            {"parentApplication": {"applicationNumber": "2017-1", "filingDate": "2017-01-02", "relation": "x"}},
            "parentApplication.relation",
        ),
    ],
)
def test_a_malformed_filing_is_422_at_its_field(api: Api, change: dict[str, Any], target: str) -> None:
    response = api.client.post("/v1/filings", json={**_GOOD, **change}, headers=api.auth("JP"))
    error = assert_envelope(response, 422, "INVALID_INPUT_DATA")
    assert error["details"][0]["target"] == target, error


def test_a_malformed_priority_claim_is_422_at_its_field(api: Api) -> None:
    bad = claim("JP", "2016-000001", "2016-02-30", fresh_access_code())
    body = filing(
        "16/123,456", "2016-09-06", priorityClaims=[claim("JP", "2016-000002", "2016-01-04", fresh_access_code()), bad]
    )
    error = assert_envelope(
        api.client.post("/v1/filings", json=body, headers=api.auth("US")), 422, "INVALID_INPUT_DATA"
    )
    assert error["details"][0]["target"] == "priorityClaims[1].filingDate"


@pytest.mark.parametrize(
    "content",
    [b"{not json", b'{"applicationNumber": "2017-1', b"", b"null", b"[]", b'"text"', b"\xff\xfe\x00", b'{"a": NaN}'],
    ids=["garbage", "truncated", "empty", "null", "array", "string", "bad utf-8", "NaN"],
)
@pytest.mark.parametrize(
    "path", ["/v1/filings", "/v1/filing-batches", "/v1/priority-claims/verify", "/v1/publications"]
)
def test_a_body_that_is_not_a_json_object_is_422(api: Api, path: str, content: bytes) -> None:
    response = api.client.post(path, content=content, headers={**JSON, **api.auth("JP")})
    assert_envelope(response, 422, "INVALID_INPUT_DATA")


def test_a_lone_surrogate_in_a_string_is_422(api: Api) -> None:
    content = b'{"applicationNumber": "\\ud800", "filingDate": "2017-09-27", "ipRightKind": "patent"}'
    response = api.client.post("/v1/filings", content=content, headers={**JSON, **api.auth("JP")})
    assert_envelope(response, 422, "INVALID_INPUT_DATA")


@pytest.mark.parametrize(
    "priority_change",
    [
        {"accessCode": "Z" * 10_240},
        {"applicationNumber": "9" * 10_240},
        {"ipOfficeCode": "日本"},
        {"ipOfficeCode": "XX"},
        {"filingDate": "2017-9-27"},
        {"filingDate": "+2017-09-27"},
        {"accessCode": "\U0001f600" * 17},
    ],
)
def test_a_malformed_claim_to_verify_is_422(api: Api, priority_change: dict[str, Any]) -> None:
    priority = {**claim("JP", "2017-187096", "2017-09-27", fresh_access_code()), **priority_change}
    response = api.client.post("/v1/priority-claims/verify", json=verify_body(priority, "US", "2018-09-06"))
    assert_envelope(response, 422, "INVALID_INPUT_DATA")


@pytest.mark.parametrize(
    "later_change",
    [
        {"ipRightKind": "copyright"},
        {"filingDate": "0001-01-01"},
        {"parentFilingDate": "2019-01-01"},
        {"ipOfficeCode": "QM"},
    ],
)
def test_a_malformed_later_application_is_422(api: Api, later_change: dict[str, Any]) -> None:
    body = verify_body(claim("JP", "2017-187096", "2017-09-27", fresh_access_code()), "US", "2018-09-06")
    body["later"].update(later_change)
    error = assert_envelope(api.client.post("/v1/priority-claims/verify", json=body), 422, "INVALID_INPUT_DATA")
    assert error["details"][0]["target"].startswith("later.")


def test_several_problems_are_all_listed(api: Api) -> None:
    body = {"applicationNumber": 1, "filingDate": 2, "ipRightKind": 3}
    error = assert_envelope(
        api.client.post("/v1/filings", json=body, headers=api.auth("JP")), 422, "INVALID_INPUT_DATA"
    )
    assert {d["target"] for d in error["details"]} == {"applicationNumber", "filingDate", "ipRightKind"}


# ── one table decides every error's status (issue 14, item 5) ────────────────────────────────


def _tree(cls: type[errors.RegistryError] = errors.RegistryError) -> list[type[errors.RegistryError]]:
    return [cls, *(c for sub in cls.__subclasses__() for c in _tree(sub))]


def test_every_class_of_the_tree_has_its_own_row_in_the_status_table() -> None:
    tree = _tree()
    assert len(tree) > 50
    assert [cls.__name__ for cls in tree if cls not in STATUS] == []
    assert [cls.__name__ for cls in STATUS if cls not in tree] == []
    # Every code the table answers with is one docs/api.md names (and so the README's table).
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    for answer in STATUS.values():
        assert f"| {answer.status} | `{answer.code}` |" in readme, answer
        assert answer.detail is None or answer.detail in DETAIL_CODES


@pytest.mark.parametrize(
    ("refusal", "status", "code"),
    [
        # the contract errors that used to be decoded as their nearest cousin answer as they did
        (errors.UnknownOffice("PriorityRegistryUnknownOffice", {"office": b"XY"}), 403, "FORBIDDEN"),
        (errors.OfficeMismatch("PriorityRegistryOfficeMismatch", {}), 403, "FORBIDDEN"),
        (errors.MissingRole("AccessControlUnauthorizedAccount", {}), 403, "FORBIDDEN"),
        (errors.BatchAlreadyAnchored("PriorityRegistryBatchAlreadyAnchored", {}), 409, "CONFLICT"),
        (errors.ReportAlreadyAnchored("PriorityRegistryReportAlreadyAnchored", {}), 409, "CONFLICT"),
        (errors.UnknownBatch("PriorityRegistryUnknownBatch", {}), 502, "LEDGER_ERROR"),
        (errors.CommitmentMismatch("PriorityRegistryCommitmentMismatch", {}), 502, "LEDGER_ERROR"),
        (errors.ImplausibleDate("PriorityRegistryInvalidDate", {}), 502, "LEDGER_ERROR"),
        (errors.LedgerUnavailable("the node does not answer"), 503, "LEDGER_UNAVAILABLE"),
        (errors.NotAnchored("PriorityRegistryNotAnchored", {}), 404, "NOT_FOUND"),
        (errors.JournalCorrupt("bad record", offset=12), 500, "INTERNAL_ERROR"),
        (errors.WrongPassphrase("wrong"), 500, "INTERNAL_ERROR"),
        (errors.KeyNotFound("none"), 500, "INTERNAL_ERROR"),
    ],
)
def test_each_error_is_answered_by_its_row(refusal: errors.RegistryError, status: int, code: str) -> None:
    assert status_for(refusal) == (status, code)


def test_a_subclass_without_a_row_of_its_own_gets_its_nearest_ancestors() -> None:
    class Later(errors.UnknownOffice):
        """Raised when a test needs a class the table has never seen."""

    assert status_for(Later("PriorityRegistryUnknownOffice", {})) == (403, "FORBIDDEN")


def _app_reading_a_key(key_dir: Path, passphrase: str) -> TestClient:
    """An app whose one route opens a real office key, as a gateway does to sign."""
    app = FastAPI()
    install_error_handlers(app)

    @app.get("/sign")
    def sign() -> dict[str, str]:
        return {"address": KeyStore(key_dir).load("JP", passphrase).address}

    return TestClient(app, raise_server_exceptions=False)


def test_a_key_store_failure_is_a_500_that_reveals_no_path_and_no_secret(tmp_path: Path) -> None:
    key_dir = tmp_path / "secret-keys-dir"
    KeyStore(key_dir, scrypt_n=2**4).create("JP", "the right passphrase")
    with _app_reading_a_key(key_dir, "a wrong passphrase") as client:
        response = client.get("/sign")
    error = assert_envelope(response, 500, "INTERNAL_ERROR")  # was 503 LEDGER_UNAVAILABLE
    assert error["details"] == [{"code": "keyStoreUnavailable", "message": error["message"]}]
    assert "office key" in error["message"] and "nothing was written" in error["message"]
    for secret in ("secret-keys-dir", "passphrase", str(tmp_path)):
        assert secret not in response.text


def test_a_missing_key_is_the_same_500(tmp_path: Path) -> None:
    with _app_reading_a_key(tmp_path / "empty", "any") as client:
        error = assert_envelope(client.get("/sign"), 500, "INTERNAL_ERROR")
    assert error["details"][0]["code"] == "keyStoreUnavailable"
    assert str(tmp_path) not in error["message"]
