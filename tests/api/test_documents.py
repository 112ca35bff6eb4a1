"""``POST /v1/documents/verify`` through HTTP: the document's SHA-256 as JSON, or the file itself."""

from __future__ import annotations

import hashlib
from typing import Any

import pytest

from registry.domain.commitments import bound_document_digest
from tests.api.conftest import Api
from tests.api.helpers import assert_envelope, filing, fresh_access_code

VERIFY = "/v1/documents/verify"
DOCUMENT = b"%PDF-1.7 priority document of JP 2017-187096\n" * 50


@pytest.fixture(scope="module")
def with_document(api: Api) -> dict[str, Any]:
    body = filing("2017-187096", "2017-09-27", documentDigest=hashlib.sha256(DOCUMENT).hexdigest())
    response = api.client.post("/v1/filings", json=body, headers=api.auth("JP"))
    assert response.status_code == 201, response.text
    answer: dict[str, Any] = response.json()
    return answer


def _body(access_code: str, digest: str, number: str = "2017-187096") -> dict[str, str]:
    return {"ipOfficeCode": "JP", "applicationNumber": number, "accessCode": access_code, "documentDigest": digest}


def _bound(anchored: dict[str, Any], sha256_hex: str) -> str:
    # docs/spec/entries.md#document-digests-and-reports: what the ledger holds is the SHA-256 bound to the application's
    # commitment.
    return "0x" + bound_document_digest(bytes.fromhex(anchored["commitment"][2:]), bytes.fromhex(sha256_hex)).hex()


def _answer(response: Any) -> dict[str, Any]:
    assert response.status_code == 200, response.text
    answer: dict[str, Any] = response.json()
    assert set(answer) == {"matches", "anchoredDigest", "version"}
    return answer


def test_the_right_digest_matches(api: Api, with_document: dict[str, Any]) -> None:
    digest = hashlib.sha256(DOCUMENT).hexdigest()
    answer = _answer(api.client.post(VERIFY, json=_body(with_document["accessCode"], digest)))
    assert answer == {"matches": True, "anchoredDigest": _bound(with_document, digest), "version": 1}
    # 0x-prefixed and upper case digests are read the same way.
    again = _answer(api.client.post(VERIFY, json=_body(with_document["accessCode"], "0x" + digest.upper())))
    assert again["matches"] is True


def test_another_digest_does_not_match_and_shows_the_anchored_one(api: Api, with_document: dict[str, Any]) -> None:
    answer = _answer(api.client.post(VERIFY, json=_body(with_document["accessCode"], "ab" * 32)))
    expected = _bound(with_document, hashlib.sha256(DOCUMENT).hexdigest())
    assert answer == {"matches": False, "anchoredDigest": expected, "version": 1}


def test_an_uploaded_file_is_hashed_and_compared(api: Api, with_document: dict[str, Any]) -> None:
    fields = {"ipOfficeCode": "JP", "applicationNumber": "2017-187096", "accessCode": with_document["accessCode"]}
    good = api.client.post(VERIFY, data=fields, files={"file": ("priority.pdf", DOCUMENT, "application/pdf")})
    assert _answer(good)["matches"] is True
    bad = api.client.post(VERIFY, data=fields, files={"file": ("priority.pdf", DOCUMENT + b"x", "application/pdf")})
    assert _answer(bad)["matches"] is False


def test_a_wrong_access_code_looks_like_an_unknown_application(api: Api, with_document: dict[str, Any]) -> None:
    digest = hashlib.sha256(DOCUMENT).hexdigest()
    wrong = _answer(api.client.post(VERIFY, json=_body(fresh_access_code(), digest)))
    unknown = _answer(api.client.post(VERIFY, json=_body(fresh_access_code(), digest, number="2016-000001")))
    assert wrong == unknown == {"matches": False, "anchoredDigest": None, "version": None}


def test_an_application_anchored_without_a_document_matches_nothing(api: Api) -> None:
    plain = api.client.post("/v1/filings", json=filing("2017-187095", "2017-09-27"), headers=api.auth("JP")).json()
    answer = _answer(api.client.post(VERIFY, json=_body(plain["accessCode"], "ab" * 32, number="2017-187095")))
    assert answer == {"matches": False, "anchoredDigest": None, "version": 1}


@pytest.mark.parametrize(
    ("change", "target"),
    [
        ({"documentDigest": "ab" * 31}, "documentDigest"),
        ({"documentDigest": 12}, "documentDigest"),
        ({"ipOfficeCode": "1$"}, "ipOfficeCode"),
        ({"accessCode": "x" * 10_240}, "accessCode"),
        ({"unexpected": "field"}, "unexpected"),
    ],
)
def test_a_malformed_json_body_is_422_at_its_field(
    api: Api, with_document: dict[str, Any], change: dict[str, Any], target: str
) -> None:
    body = {**_body(with_document["accessCode"], "ab" * 32), **change}
    error = assert_envelope(api.client.post(VERIFY, json=body), 422, "INVALID_INPUT_DATA")
    assert error["details"][0]["target"] == target


def test_a_body_that_is_not_json_or_not_an_object_is_422(api: Api) -> None:
    for content in (b"{nope", b"[1, 2]", b"\xff\xfe"):
        response = api.client.post(VERIFY, content=content, headers={"content-type": "application/json"})
        assert_envelope(response, 422, "INVALID_INPUT_DATA")


def test_an_upload_without_a_file_or_that_cannot_be_read_is_422(api: Api, with_document: dict[str, Any]) -> None:
    fields = {"ipOfficeCode": "JP", "applicationNumber": "2017-187096", "accessCode": with_document["accessCode"]}
    error = assert_envelope(
        api.client.post(VERIFY, data=fields, files={"other": ("a.txt", b"1")}), 422, "INVALID_INPUT_DATA"
    )
    assert error["details"][0]["target"] == "file"
    for content_type in ("multipart/form-data; boundary=xyz", "multipart/form-data"):
        response = api.client.post(VERIFY, content=b"garbage", headers={"content-type": content_type})
        assert_envelope(response, 422, "INVALID_INPUT_DATA")
