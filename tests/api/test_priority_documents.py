"""``POST /v1/priority-documents/verify`` (docs/api.md#priority-documents): anyone checks a package; a malformed
archive is a 422 ``malformedPackage``; a package over the 16 MB of other endpoints but under 65 MB is taken."""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass

import pytest

from registry.domain.filings import FilingInput
from registry.domain.packages import _zip, read_package
from registry.domain.types import IpRightKind
from registry.service.packages import CHECK_NAMES, create_package
from tests.api.conftest import Api
from tests.api.helpers import assert_envelope

URL = "/v1/priority-documents/verify"


@dataclass(frozen=True)
class Made:
    data: bytes
    code: str


@pytest.fixture(scope="module")
def made(api: Api) -> Made:
    outcome = api.service.anchor("JP", FilingInput("2019-040001", _dt.date(2019, 3, 1), IpRightKind.PATENT))
    created = create_package(  # the office's seed derives the code
        api.service, "JP", outcome.prepared.commitment, "2019-040001", None, [("app.pdf", "application/pdf", b"%PDF")]
    )
    return Made(created.data, str(outcome.prepared.access_code))


def test_anyone_verifies_a_package(api: Api, made: Made) -> None:
    answer = api.client.post(
        URL, files={"file": ("p.zip", made.data, "application/zip")}, data={"accessCode": made.code}
    )
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["valid"] is True and body["version"] == body["currentVersion"] == 2
    assert [c["name"] for c in body["checks"]] == list(CHECK_NAMES) and all(c["passed"] for c in body["checks"])
    assert body["ipOfficeCode"] == "JP" and body["evidence"]["anchoringOffice"] == "JP"


def test_a_tampered_package_is_invalid_not_an_error(api: Api, made: Made) -> None:
    entries = read_package(made.data).entries
    tampered = _zip({**entries, "app.pdf": b"%PDX"})
    body = api.client.post(URL, files={"file": ("p.zip", tampered)}).json()
    assert body["valid"] is False
    assert [c["name"] for c in body["checks"] if not c["passed"]] == ["filesMatchManifest"]


def test_a_malformed_archive_is_a_422(api: Api, made: Made) -> None:
    answer = api.client.post(URL, files={"file": ("p.zip", made.data + b"trailing")})
    error = assert_envelope(answer, 422, "INVALID_INPUT_DATA")
    assert error["details"][0]["code"] == "malformedPackage" and "archiveWellFormed" in error["details"][0]["message"]
    answer = api.client.post(URL, files={"accessCode": (None, made.code)})  # multipart, without the file
    assert assert_envelope(answer, 422, "INVALID_INPUT_DATA")["details"][0]["target"] == "file"
    assert_envelope(api.client.post(URL, json={"file": "x"}), 415, "UNSUPPORTED_MEDIA_TYPE")


def test_a_package_over_16_mb_is_taken(api: Api) -> None:
    big = b"\0" * (17 * 1024 * 1024)
    answer = api.client.post(URL, files={"file": ("p.zip", _zip({"big.pdf": big}))})
    assert answer.status_code == 200, answer.text
    assert answer.json()["valid"] is False  # no manifest: read, and refused by its checks
