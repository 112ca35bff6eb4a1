"""Reports across gateways (R15, docs/api.md#work-sharing-in-the-family, docs/spec/between-gateways.md) on anvil.

Three offices, three ``prioreg serve`` processes (the consortium of tests/reliability/test_consortium.py). JP anchors
A and a search report on it at its own gateway; US files B claiming A with the applicant's code and JP's gateway
confirms the link. Then: US reads the report through its own gateway, which fetches it from JP's with a request signed
by US's key and checks it against the ledger; EP, outside the family, gets the same 404 as for an unknown id; JP alone
sees who read it; with JP's gateway down, or answering tampered bytes, US gets 503 ``HOLDER_UNAVAILABLE`` and never
the bytes. JP's backup holds the file and the access log.
"""

from __future__ import annotations

import hashlib
import secrets
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest

from registry.ops.backup import backup
from tests.reliability.test_consortium import Consortium, _eventually
from tests.reliability.test_consortium import consortium as consortium

REPORT = b"%PDF-1.4\n% JPO search report\n" + secrets.token_bytes(256)
UNKNOWN = "0x" + "77" * 32


@dataclass
class Family:
    consortium: Consortium
    a: str
    b: str
    report_id: str

    def get(self, office: str, path: str) -> httpx.Response:
        c = self.consortium
        return httpx.get(c.url(office) + path, headers=c.auth(office), timeout=30)


@pytest.fixture(scope="module")
def family(consortium: Consortium) -> Family:
    jp = httpx.post(
        consortium.url("JP") + "/v1/filings",
        json={"applicationNumber": "2017-187096", "filingDate": "2017-09-27", "ipRightKind": "patent"},
        headers=consortium.auth("JP"),
        timeout=30,
    )
    assert jp.status_code == 201, jp.text
    us = consortium.claim("US", "16/123,456", "2017-187096", jp.json()["accessCode"])
    assert us.status_code == 201, us.text
    a, b = jp.json()["commitment"], us.json()["commitment"]
    # JP's gateway confirms; both gateways must have indexed the confirmation.
    for office in ("JP", "US"):
        assert _eventually(lambda office=office: consortium.confirmed(office, b, "US"), timeout=60), office
    anchored = httpx.post(
        consortium.url("JP") + f"/v1/applications/{a}/reports",
        files={"file": ("search-report.pdf", REPORT, "application/pdf")},
        data={"kind": "searchReport", "issued": "2018-03-01"},
        headers=consortium.auth("JP"),
        timeout=30,
    )
    assert anchored.status_code == 201, anchored.text
    found = Family(consortium, a, b, anchored.json()["reportId"])
    listed = _eventually(lambda: found.get("US", f"/v1/families/{b}/reports").json().get("reports"), timeout=30)
    assert listed, "US's gateway never indexed the report"
    return found


def test_a_report_is_retrieved_from_the_holders_gateway_and_checked(family: Family) -> None:
    answer = family.get("US", f"/v1/reports/{family.report_id}")
    assert answer.status_code == 200, answer.text
    assert answer.content == REPORT
    assert answer.headers["content-type"] == "application/pdf"
    assert answer.headers["etag"] == f'"{hashlib.sha256(REPORT).hexdigest()}"'
    assert answer.headers["x-content-type-options"] == "nosniff"
    assert answer.headers["content-disposition"].startswith("attachment")
    # The list says where the file is: JP's gateway holds it, US's does not.
    (at_us,) = family.get("US", f"/v1/families/{family.b}/reports").json()["reports"]
    (at_jp,) = family.get("JP", f"/v1/families/{family.a}/reports").json()["reports"]
    assert at_us["sha256"] is None and at_jp["sha256"] == "0x" + hashlib.sha256(REPORT).hexdigest()
    assert {k: v for k, v in at_us.items() if k != "sha256"} == {k: v for k, v in at_jp.items() if k != "sha256"}


def test_an_office_outside_the_family_gets_the_same_404_as_for_an_unknown_id(family: Family) -> None:
    unknown = family.get("EP", f"/v1/reports/{UNKNOWN}")
    assert unknown.status_code == 404
    refused = family.get("EP", f"/v1/reports/{family.report_id}")
    assert refused.status_code == 404
    assert refused.content == unknown.content.replace(UNKNOWN.encode(), family.report_id.encode())
    unknown_family = family.get("EP", f"/v1/families/{UNKNOWN}/reports")
    refused_family = family.get("EP", f"/v1/families/{family.a}/reports")
    assert refused_family.status_code == 404
    assert refused_family.content == unknown_family.content.replace(UNKNOWN.encode(), family.a.encode())
    assert httpx.get(family.consortium.url("US") + f"/v1/reports/{family.report_id}").status_code == 401


def test_the_access_log_is_the_holders_and_shown_to_its_office_only(family: Family) -> None:
    assert family.get("US", f"/v1/reports/{family.report_id}").status_code == 200
    accesses = family.get("JP", f"/v1/reports/{family.report_id}/accesses")
    assert accesses.status_code == 200, accesses.text
    seen = [(a["ipOfficeCode"], a["throughCommitment"]) for a in accesses.json()["accesses"]]
    assert ("US", family.b) in seen and {o for o, _ in seen} == {"US"}
    for office in ("US", "EP"):
        unknown = family.get(office, f"/v1/reports/{UNKNOWN}/accesses")
        refused = family.get(office, f"/v1/reports/{family.report_id}/accesses")
        assert refused.status_code == 404
        assert refused.content == unknown.content.replace(UNKNOWN.encode(), family.report_id.encode())


def test_the_holders_backup_keeps_the_file_and_the_access_log(family: Family, tmp_path: Path) -> None:
    manifest = backup(family.consortium.root / "JP", tmp_path / "backup")
    paths = {f.path for f in manifest.files}
    digest = hashlib.sha256(REPORT).hexdigest()
    assert f"files/sha256/{digest[:2]}/{digest}" in paths
    assert "reports.sqlite" in paths


class _Hostile(BaseHTTPRequestHandler):
    """A holder that answers every request with other bytes than the ledger bound."""

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length", "0")))
        body = REPORT.replace(b"search", b"forged")
        self.send_response(200)
        self.send_header("Content-Type", "application/pdf")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        return


@pytest.fixture
def jp_down(family: Family) -> Iterator[int]:
    jp = family.consortium.gateways["JP"]
    jp.stop()
    try:
        yield jp.port
    finally:
        jp.start()


def test_the_holder_down_or_hostile_is_a_503_and_no_bytes(family: Family, jp_down: int) -> None:
    down = family.get("US", f"/v1/reports/{family.report_id}")
    assert down.status_code == 503, down.text
    assert down.json()["error"]["code"] == "HOLDER_UNAVAILABLE"
    assert int(down.headers["retry-after"]) > 0

    # Someone else answers at JP's endpoint (the one on chain) with a tampered file.
    server = ThreadingHTTPServer(("127.0.0.1", jp_down), _Hostile)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        tampered = family.get("US", f"/v1/reports/{family.report_id}")
    finally:
        server.shutdown()
        server.server_close()
        thread.join(10)
    assert tampered.status_code == 503, tampered.text
    assert tampered.json()["error"]["code"] == "HOLDER_UNAVAILABLE"
    assert "does not match" in tampered.json()["error"]["message"]  # refused by the check, not by the network
    assert b"forged" not in tampered.content and REPORT not in tampered.content


def test_retrieval_works_again_once_the_holder_is_back(family: Family) -> None:
    answer = family.get("US", f"/v1/reports/{family.report_id}")
    assert answer.status_code == 200, answer.text
    assert answer.content == REPORT
