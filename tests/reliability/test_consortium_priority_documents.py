"""Priority documents across gateways (R26, docs/api.md#priority-documents, docs/spec/between-gateways.md) on anvil.

The consortium of tests/reliability/test_consortium.py: JP anchors an application and a package of it at its own
gateway. EP retrieves it at its own gateway with the applicant's code: EP's gateway fetches it from JP's with a
``PriorityDocumentRequest`` signed by EP's key carrying only the access-secret hash, runs every check of
docs/spec/packages.md#checks and hands it on; JP's log shows EP. A wrong code is the same 404 as an unknown
application; with JP's gateway down, or answering a tampered package, EP gets 503 ``HOLDER_UNAVAILABLE``.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest

from registry.domain.packages import _zip, read_package
from registry.ledger.chain import Chain
from registry.service.packages import verify_package
from tests.reliability.test_consortium import Consortium, _eventually
from tests.reliability.test_consortium import consortium as consortium

NUMBER = "2018-123456"
FILED = "2018-02-01"
PDF = b"%PDF-1.7 the JPO application as filed"


@dataclass
class Document:
    consortium: Consortium
    commitment: str
    code: str
    version: int

    def retrieve(self, office: str = "EP", **changes: Any) -> httpx.Response:
        body = {"ipOfficeCode": "JP", "applicationNumber": NUMBER, "filingDate": FILED, "accessCode": self.code}
        body.update(changes)
        c = self.consortium
        return httpx.post(
            c.url(office) + "/v1/priority-documents/retrieve", json=body, headers=c.auth(office), timeout=60
        )


@pytest.fixture(scope="module")
def document(consortium: Consortium) -> Document:
    jp = httpx.post(
        consortium.url("JP") + "/v1/filings",
        json={"applicationNumber": NUMBER, "filingDate": FILED, "ipRightKind": "patent"},
        headers=consortium.auth("JP"),
        timeout=30,
    )
    assert jp.status_code == 201, jp.text
    commitment, code = jp.json()["commitment"], jp.json()["accessCode"]
    created = httpx.post(
        consortium.url("JP") + f"/v1/applications/{commitment}/priority-document",
        files={"file": ("application.pdf", PDF, "application/pdf")},
        data={"applicationNumber": NUMBER, "accessCode": code},
        headers=consortium.auth("JP"),
        timeout=60,
    )
    assert created.status_code == 201, created.text
    version = created.json()["version"]

    def indexed() -> bool:
        answer = httpx.get(consortium.url("EP") + f"/v1/applications/{commitment}", timeout=30)
        return answer.status_code == 200 and len(answer.json().get("versions", [])) >= version

    assert _eventually(indexed, timeout=60), "EP's gateway never indexed the package's version"
    return Document(consortium, commitment, code, version)


def test_the_epo_retrieves_the_jpos_document_and_it_verifies(document: Document) -> None:
    answer = document.retrieve()
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"] == "application/zip"
    assert read_package(answer.content).entries["application.pdf"] == PDF
    checked = verify_package(Chain.connect(document.consortium.rpc_url), None, answer.content, document.code)
    assert checked.valid and checked.current and checked.version == document.version
    log = httpx.get(
        document.consortium.url("JP") + f"/v1/applications/{document.commitment}/priority-document/accesses",
        headers=document.consortium.auth("JP"),
        timeout=30,
    )
    assert log.status_code == 200, log.text
    assert ("EP", document.version) in [(a["ipOfficeCode"], a["version"]) for a in log.json()["accesses"]]
    elsewhere = httpx.get(
        document.consortium.url("EP") + f"/v1/applications/{document.commitment}/priority-document/accesses",
        headers=document.consortium.auth("EP"),
        timeout=30,
    )
    assert elsewhere.status_code == 404


def test_a_wrong_code_is_the_same_404_as_an_unknown_application(document: Document) -> None:
    wrong = document.retrieve(accessCode="K61V-SG1E-HYPC-4603-U")
    unknown = document.retrieve(applicationNumber="2018-999999")
    unknown_version = document.retrieve(version=99)  # fetched: the holder refuses, the requester says the same
    assert wrong.status_code == unknown.status_code == unknown_version.status_code == 404
    assert wrong.content == unknown.content == unknown_version.content


class _Hostile(BaseHTTPRequestHandler):
    """A holder that answers with a package whose files are not the ones its manifest names."""

    package = b""

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length", "0")))
        body = self.package
        self.send_response(200)
        self.send_header("Content-Type", "application/zip")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        return


@pytest.fixture
def jp_down(document: Document) -> Iterator[int]:
    jp = document.consortium.gateways["JP"]
    jp.stop()
    try:
        yield jp.port
    finally:
        jp.start()


def test_the_holder_down_or_hostile_is_a_503(document: Document, jp_down: int) -> None:
    genuine = document.retrieve()  # JP is down: nothing is held at EP's gateway
    assert genuine.status_code == 503, genuine.text
    assert genuine.json()["error"]["code"] == "HOLDER_UNAVAILABLE"
    assert int(genuine.headers["retry-after"]) > 0


def test_a_tampered_package_from_the_holder_is_a_503(document: Document) -> None:
    good = document.retrieve()
    assert good.status_code == 200, good.text
    entries = read_package(good.content).entries
    _Hostile.package = _zip({**entries, "application.pdf": PDF.replace(b"JPO", b"XXX")})
    jp = document.consortium.gateways["JP"]
    jp.stop()
    server = ThreadingHTTPServer(("127.0.0.1", jp.port), _Hostile)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        tampered = document.retrieve()
    finally:
        server.shutdown()
        server.server_close()
        thread.join(10)
        jp.start()
    assert tampered.status_code == 503, tampered.text
    assert tampered.json()["error"]["code"] == "HOLDER_UNAVAILABLE"
    assert b"XXX" not in tampered.content
