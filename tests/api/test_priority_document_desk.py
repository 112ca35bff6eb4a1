"""Creating and retrieving priority documents on one gateway (docs/api.md#priority-documents, R26).

JP anchors an application and a package of it; EP retrieves it with the applicant's code. A wrong code, an unknown
application and one without a document get the same 404, byte for byte; the right code with a wrong filing date is
422 ``filingDateMismatch``. Every retrieval is in JP's access log, which no other office sees. The across-gateways
side is tests/reliability/test_consortium_priority_documents.py.
"""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from registry.domain.filings import FilingInput
from registry.domain.types import IpRightKind
from registry.service.packages import verify_package
from tests.api.conftest import Api
from tests.api.helpers import assert_envelope

NUMBER = "2019-050001"
BARE = "2019-050002"  # anchored, no document
FILED = "2019-04-01"
PDF = b"%PDF-1.7 the application as filed"


@dataclass(frozen=True)
class Made:
    commitment: str
    code: str
    bare_code: str
    created: dict[str, Any]


def _create(api: Api, commitment: str, office: str = "JP", **fields: Any) -> httpx.Response:
    files: list[tuple[str, tuple[str, bytes, str]]] = [
        ("file", ("application.pdf", PDF, "application/pdf")),
        ("file", ("claims.xml", b"<claims/>", "application/xml")),
        ("bibliographic", ("biblio.xml", b"<ApplicationBody/>", "application/xml")),
    ]
    return api.client.post(
        f"/v1/applications/{commitment}/priority-document",
        files=files,
        data={"applicationNumber": NUMBER, **fields},
        headers=api.auth(office),
    )


@pytest.fixture(scope="module")
def made(api: Api) -> Made:
    day = _dt.date.fromisoformat(FILED)
    outcome = api.service.anchor("JP", FilingInput(NUMBER, day, IpRightKind.PATENT))
    bare = api.service.anchor("JP", FilingInput(BARE, day, IpRightKind.PATENT))
    commitment = "0x" + outcome.prepared.commitment.hex()
    answer = _create(api, commitment)  # the office's seed derives the code
    assert answer.status_code == 201, answer.text
    return Made(commitment, str(outcome.prepared.access_code), str(bare.prepared.access_code), answer.json())


def _retrieve(api: Api, office: str | None = "EP", **body: Any) -> httpx.Response:
    headers = api.auth(office) if office else {}
    return api.client.post("/v1/priority-documents/retrieve", json=body, headers=headers)


def _ask(made: Made, **changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "ipOfficeCode": "JP",
        "applicationNumber": NUMBER,
        "filingDate": FILED,
        "accessCode": made.code,
    }
    body.update(changes)
    return body


def test_the_owner_creates_a_package_as_a_new_version(api: Api, made: Made) -> None:
    created = made.created
    assert created["commitment"] == made.commitment and created["version"] == 2
    assert created["manifestSha256"].startswith("0x") and len(created["manifestSha256"]) == 66
    assert created["ledger"]["transactionHash"].startswith("0x")


def test_creating_follows_the_office_endpoint_codes(api: Api, made: Made) -> None:
    assert_envelope(_create(api, made.commitment, office="US"), 403, "FORBIDDEN")
    assert_envelope(_create(api, "0x" + "77" * 32), 404, "NOT_FOUND")
    no_token = api.client.post(f"/v1/applications/{made.commitment}/priority-document", files={"file": ("a", b"x")})
    assert no_token.status_code == 401
    wrong = _create(api, made.commitment, accessCode=made.bare_code)
    assert assert_envelope(wrong, 422, "INVALID_INPUT_DATA")["details"][0]["code"] == "commitmentMismatch"
    none = api.client.post(
        f"/v1/applications/{made.commitment}/priority-document",
        data={"applicationNumber": NUMBER},
        files={"bibliographic": ("b.xml", b"<x/>")},
        headers=api.auth("JP"),
    )
    assert assert_envelope(none, 422, "INVALID_INPUT_DATA")["details"][0]["target"] == "file"
    json = api.client.post(
        f"/v1/applications/{made.commitment}/priority-document", json={"x": 1}, headers=api.auth("JP")
    )
    assert_envelope(json, 415, "UNSUPPORTED_MEDIA_TYPE")
    too_many = api.client.post(
        f"/v1/applications/{made.commitment}/priority-document",
        data={"applicationNumber": NUMBER},
        files=[("file", (f"f{i}.txt", b"x", "text/plain")) for i in range(63)],
        headers=api.auth("JP"),
    )
    assert_envelope(too_many, 422, "INVALID_INPUT_DATA")


def test_a_package_of_empty_files_is_refused_and_no_version_is_anchored(api: Api, made: Made) -> None:
    versions = len(api.client.get(f"/v1/applications/{made.commitment}").json()["versions"])
    url = f"/v1/applications/{made.commitment}/priority-document"
    for files, target in (
        ([("file", ("application.pdf", b"", "application/pdf"))], "file"),
        ([("file", ("application.pdf", PDF, "application/pdf")), ("file", ("claims.xml", b"", "text/xml"))], "file"),
        ([("file", ("application.pdf", PDF, "application/pdf")), ("bibliographic", ("b.xml", b"", "text/xml"))],
         "bibliographic"),
    ):  # fmt: skip
        answer = api.client.post(url, files=files, data={"applicationNumber": NUMBER}, headers=api.auth("JP"))
        error = assert_envelope(answer, 422, "INVALID_INPUT_DATA")
        assert error["details"][0]["code"] == "required" and error["details"][0]["target"] == target, error
        assert "empty" in error["message"]
    assert len(api.client.get(f"/v1/applications/{made.commitment}").json()["versions"]) == versions


def test_another_office_retrieves_the_package_with_the_code(api: Api, made: Made) -> None:
    answer = _retrieve(api, **_ask(made))
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"] == "application/zip"
    assert answer.headers["cache-control"] == "no-store"
    checked = verify_package(api.service.chain, api.service.contract, answer.content, made.code)
    assert checked.valid and checked.version == 2 and checked.current
    again = _retrieve(api, **_ask(made, version=2))
    assert again.status_code == 200 and again.content == answer.content


def test_every_refusal_is_the_same_404_byte_for_byte(api: Api, made: Made) -> None:
    wrong_code = _retrieve(api, **_ask(made, accessCode=made.bare_code))
    no_document = _retrieve(api, **_ask(made, accessCode=made.bare_code, applicationNumber=BARE))
    unknown_version = _retrieve(api, **_ask(made, version=7))
    unknown = _retrieve(api, **_ask(made, applicationNumber="2019-059999"))
    assert_envelope(wrong_code, 404, "NOT_FOUND")
    refusals = [wrong_code, no_document, unknown_version, unknown]
    assert [r.status_code for r in refusals] == [404] * 4
    assert len({r.content for r in refusals}) == 1, [r.text for r in refusals]


def test_the_right_code_with_a_wrong_filing_date_is_a_422(api: Api, made: Made) -> None:
    answer = _retrieve(api, **_ask(made, filingDate="2019-04-02"))
    detail = assert_envelope(answer, 422, "INVALID_INPUT_DATA")["details"][0]
    assert detail["code"] == "filingDateMismatch" and detail["target"] == "filingDate"
    assert _retrieve(api, None, **_ask(made)).status_code == 401


def test_the_owner_sees_every_retrieval_and_nobody_else_does(api: Api, made: Made) -> None:
    before = api.client.get(
        f"/v1/applications/{made.commitment}/priority-document/accesses", headers=api.auth("JP")
    ).json()["accesses"]
    assert _retrieve(api, "US", **_ask(made)).status_code == 200
    after = api.client.get(
        f"/v1/applications/{made.commitment}/priority-document/accesses", headers=api.auth("JP")
    ).json()["accesses"]
    assert len(after) == len(before) + 1
    assert after[-1]["ipOfficeCode"] == "US" and after[-1]["version"] == 2 and after[-1]["at"].endswith("Z")
    others = api.client.get(f"/v1/applications/{made.commitment}/priority-document/accesses", headers=api.auth("EP"))
    unknown = api.client.get(f"/v1/applications/{'0x' + '77' * 32}/priority-document/accesses", headers=api.auth("EP"))
    assert_envelope(others, 404, "NOT_FOUND")
    assert others.status_code == unknown.status_code == 404


def test_the_holder_serves_a_signed_request_and_refuses_every_other_with_one_404(api: Api, made: Made) -> None:
    from registry.domain.accesscodes import normalize
    from registry.domain.commitments import access_secret_hash
    from registry.service.gateway_requests import PriorityDocumentRequest, expiry_in, new_nonce, sign_request

    service = api.service
    commitment = bytes.fromhex(made.commitment[2:])
    secret = normalize(made.code).secret

    def send(office: str, digest: bytes, version: int = 0, nonce: bytes | None = None) -> httpx.Response:
        request = PriorityDocumentRequest(office, commitment, version, digest, nonce or new_nonce(), expiry_in())
        body = sign_request(request, service.client_for(office).account.key, service.chain.chain_id, service.contract)
        return api.client.post("/v1/gateway/priority-documents", json=body)

    nonce = new_nonce()
    served = send("EP", access_secret_hash("EP", commitment, secret), nonce=nonce)
    assert served.status_code == 200, served.text
    assert served.headers["content-type"] == "application/zip"
    refusals = [
        send("EP", access_secret_hash("EP", commitment, secret), nonce=nonce),  # replayed
        send("US", access_secret_hash("EP", commitment, secret)),  # another office's hash
        send("EP", access_secret_hash("EP", commitment, normalize(made.bare_code).secret)),  # a wrong code
        send("EP", access_secret_hash("EP", commitment, secret), version=9),  # no such version
        api.client.post("/v1/gateway/priority-documents", json={"request": {}, "signature": "0x"}),
    ]
    assert [r.status_code for r in refusals] == [404] * 5
    assert len({r.content for r in refusals}) == 1


def test_an_office_that_retrieved_a_document_is_told_of_its_next_version(api: Api, made: Made) -> None:
    """docs/api.md#notifications: priorityDocumentAmended reaches every office that retrieved an earlier version
    (what DAS does by e-mail), here with no family between them; an office that never retrieved it is not told."""

    def told(office: str) -> list[dict[str, Any]]:
        answer = api.client.get("/v1/notifications?limit=1000", headers=api.auth(office))
        assert answer.status_code == 200, answer.text
        return [n for n in answer.json()["notifications"] if n["kind"] == "priorityDocumentAmended"]

    assert _retrieve(api, "EP", **_ask(made)).status_code == 200
    before = told("EP")
    amended = _create(api, made.commitment)  # the JPO corrects its document: a new package version
    assert amended.status_code == 201, amended.text
    after = told("EP")
    new = [n for n in after if n not in before]
    assert len(new) == 1, after
    assert new[0]["commitment"] == made.commitment and new[0]["ipOfficeCode"] == "JP"
    assert new[0]["ledger"]["blockNumber"] == amended.json()["ledger"]["blockNumber"]
    assert told("CN") == []  # never retrieved it, not in its family
    # The cursor orders it among the rest, and paging after it finds nothing more of it.
    everything = api.client.get("/v1/notifications?limit=1000", headers=api.auth("EP")).json()
    cursors = [n["cursor"] for n in everything["notifications"]]
    assert cursors == sorted(cursors) and len(set(cursors)) == len(cursors)
    rest = api.client.get(f"/v1/notifications?after={new[0]['cursor']}", headers=api.auth("EP")).json()
    assert all(n["kind"] != "priorityDocumentAmended" for n in rest["notifications"])
