"""Bodies a hostile or careless client sends, checked against docs/api.md#errors and
docs/design.md#p10-no-request-can-take-the-gateway-down.

A media type is case-insensitive (RFC 9110 §8.3.1): ``Multipart/Form-Data`` is the same upload as
``multipart/form-data``. :class:`api.limits.BodyGuard` already read it so and left the body to the
form parser, while the document and package checks compared it case-sensitively and read the body
as JSON themselves, unbounded: deep JSON declared so was a 500, and a real upload was refused.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
from urllib.parse import quote

import httpx
import pytest
from pydantic import BaseModel

from api import schemas
from registry.domain.filings import FilingInput
from registry.domain.packages import _zip
from registry.domain.types import IpRightKind
from registry.service.packages import create_package
from tests.api.conftest import Api
from tests.api.helpers import assert_envelope, filing

DOCUMENTS = "/v1/documents/verify"
PACKAGES = "/v1/priority-documents/verify"
DEEP = b"[" * 100_000 + b"]" * 100_000


def _capitalised_upload(files: dict[str, tuple[str, bytes]], data: dict[str, str]) -> tuple[bytes, dict[str, str]]:
    """A multipart body as httpx encodes it, its Content-Type written ``Multipart/Form-Data; boundary=…``."""
    request = httpx.Request("POST", "http://gateway", files=files, data=data)
    content_type = request.headers["content-type"]
    assert content_type.startswith("multipart/form-data; boundary=")
    return request.read(), {"content-type": content_type.replace("multipart/form-data", "Multipart/Form-Data")}


def test_deep_json_declared_as_multipart_in_capitals_is_a_422_not_a_500(api: Api) -> None:
    for path in (DOCUMENTS, PACKAGES):
        response = api.client.post(path, content=DEEP, headers={"content-type": "Multipart/Form-Data; boundary=x"})
        error = assert_envelope(response, 422, "INVALID_INPUT_DATA")
        assert error["details"][0]["code"] == "multipartInvalid", error


def test_a_document_upload_with_its_media_type_in_capitals_is_read_as_an_upload(api: Api) -> None:
    document = b"%PDF-1.7 the application as filed\n"
    body = filing("2017-187301", "2017-09-27", documentDigest=hashlib.sha256(document).hexdigest())
    anchored = api.client.post("/v1/filings", json=body, headers=api.auth("JP")).json()
    fields = {"ipOfficeCode": "JP", "applicationNumber": "2017-187301", "accessCode": anchored["accessCode"]}
    content, headers = _capitalised_upload({"file": ("d.pdf", document)}, fields)
    answer = api.client.post(DOCUMENTS, content=content, headers=headers)
    assert answer.status_code == 200, answer.text
    assert answer.json()["matches"] is True


def test_a_package_upload_with_its_media_type_in_capitals_is_read_as_an_upload(api: Api) -> None:
    outcome = api.service.anchor("JP", FilingInput("2019-040301", _dt.date(2019, 3, 1), IpRightKind.PATENT))
    created = create_package(
        api.service, "JP", outcome.prepared.commitment, "2019-040301", None, [("app.pdf", "application/pdf", b"%PDF")]
    )
    content, headers = _capitalised_upload({"file": ("p.zip", created.data)}, {})
    answer = api.client.post(PACKAGES, content=content, headers=headers)
    assert answer.status_code == 200, answer.text
    assert answer.json()["valid"] is True


def test_a_document_check_that_is_not_a_json_object_names_no_class_of_the_gateway(api: Api) -> None:
    # The same sentence as every other JSON body gets (FastAPI's reading of a model body).
    expected = api.client.post("/v1/priority-claims/verify", json=[]).json()["error"]["message"]
    for body in (b"[]", b'"text"', b"5", b"null"):
        response = api.client.post(DOCUMENTS, content=body, headers={"content-type": "application/json"})
        error = assert_envelope(response, 422, "INVALID_INPUT_DATA")
        assert "DocumentVerifyIn" not in str(error) and error["message"] == expected, error
        assert error["details"][0]["code"] == "wrongType"


def test_a_package_whose_manifest_nests_deep_is_a_failed_check_not_a_500(api: Api) -> None:
    """No token needed, 10 KB: a manifest.json of 5,000 nested arrays raised RecursionError in json.loads."""
    deep = b"[" * 5_000 + b"]" * 5_000
    archive = _zip({"manifest.json": deep, "signature.json": deep})
    answer = api.client.post(PACKAGES, files={"file": ("p.zip", archive)})
    assert answer.status_code == 200, answer.text
    checks = {c["name"]: c for c in answer.json()["checks"]}
    assert answer.json()["valid"] is False
    assert checks["archiveWellFormed"]["passed"] is True
    assert checks["manifestCanonical"]["passed"] is False and "deeper" in checks["manifestCanonical"]["message"]
    assert api.client.get("/v1/health").status_code == 200


# ── numbers are numbers ──────────────────────────────────────────────────────────────────


@pytest.fixture(scope="module")
def retrieval(api: Api) -> dict[str, object]:
    """A ``POST /v1/priority-documents/retrieve`` body for an application JP anchored (without a document)."""
    anchored = api.client.post("/v1/filings", json=filing("2017-187302", "2017-09-27"), headers=api.auth("JP"))
    assert anchored.status_code == 201, anchored.text
    code = anchored.json()["accessCode"]
    return {"ipOfficeCode": "JP", "applicationNumber": "2017-187302", "filingDate": "2017-09-27", "accessCode": code}


@pytest.mark.parametrize(
    "version",
    ["1", 1.0, 1.5, True, False, "0x1"],
    ids=["a string", "a whole float", "a fraction", "true", "false", "a hex string"],
)
def test_an_integer_field_given_a_string_a_float_or_a_boolean_is_422_naming_the_field(
    api: Api, retrieval: dict[str, object], version: object
) -> None:
    body = {**retrieval, "version": version}
    response = api.client.post("/v1/priority-documents/retrieve", json=body, headers=api.auth("US"))
    error = assert_envelope(response, 422, "INVALID_INPUT_DATA")
    assert error["details"] == [
        {"code": "wrongType", "message": "Input should be a valid integer", "target": "version"}
    ]
    assert "(version)" in error["message"]


def test_the_same_integer_field_given_an_integer_is_read(api: Api, retrieval: dict[str, object]) -> None:
    # No document yet: the same 404 as for an unknown application, past the schema.
    response = api.client.post(
        "/v1/priority-documents/retrieve", json={**retrieval, "version": 1}, headers=api.auth("US")
    )
    assert_envelope(response, 404, "NOT_FOUND")


def test_every_request_model_reads_its_fields_strictly() -> None:
    # One config for every JSON body (api.schemas._In): a field added later is strict too.
    models = [getattr(schemas, name) for name in schemas.__all__ if name.endswith("In")]
    assert len(models) >= 9, models
    for model in models:
        assert issubclass(model, BaseModel) and model.model_config.get("strict") is True, model


@pytest.fixture(scope="module")
def anchored(api: Api) -> str:
    """The commitment of a JP filing, for the version path."""
    response = api.client.post("/v1/filings", json=filing("2017-187099", "2017-09-27"), headers=api.auth("JP"))
    assert response.status_code == 201, response.text
    commitment: str = response.json()["commitment"]
    return commitment


@pytest.mark.parametrize("given", ["2.0", "1_0", "+2", " 2", "٢", "0x2", "1e1", "abc"])
def test_a_query_or_path_integer_not_written_in_digits_is_422_like_any_non_number(
    api: Api, anchored: str, given: str
) -> None:
    limit = api.client.get("/v1/notifications", params={"limit": given}, headers=api.auth("JP"))
    error = assert_envelope(limit, 422, "INVALID_INPUT_DATA")
    assert [(d["code"], d["target"]) for d in error["details"]] == [("wrongType", "limit")], error
    version = api.client.get(f"/v1/applications/{anchored}/versions/{quote(given)}")
    error = assert_envelope(version, 422, "INVALID_INPUT_DATA")
    assert [d["code"] for d in error["details"]] == ["wrongType"], error


def test_the_same_query_and_path_integers_written_in_digits_are_read(api: Api, anchored: str) -> None:
    page = api.client.get("/v1/notifications", params={"limit": "2"}, headers=api.auth("JP"))
    assert page.status_code == 200 and len(page.json()["notifications"]) <= 2, page.text
    version = api.client.get(f"/v1/applications/{anchored}/versions/1")
    assert version.status_code == 200 and version.json()["version"] == 1, version.text
