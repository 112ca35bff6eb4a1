"""Reports shared inside the family (R15, docs/api.md#work-sharing-in-the-family) on one gateway.

JP anchors application A and a search report on it; US files B claiming A with the applicant's access code, and JP's
gateway confirms the link; EP writes a claim on A with a made-up token (shown, never confirmed); CN has an unrelated
application. Every endpoint's authorization: the owner, the confirmed member, the member by an unconfirmed link, the
outsider and no token — every refusal the same bytes as an unknown id (docs/api.md#status-codes-on-office-endpoints).
The across-gateways side is tests/reliability/test_consortium_reports.py.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from eth_utils.crypto import keccak
from fastapi.testclient import TestClient

from api.app import create_app
from api.auth import TokenStore
from registry.domain.commitments import bound_report_digest
from registry.domain.entries import ClaimRef, Entry
from registry.domain.types import IpRightKind, date_to_days
from registry.index import Index, report_id
from registry.service import RegistryService
from registry.service.gateway_requests import ReportRequest, expiry_in, new_nonce, sign_request
from tests.api.conftest import OFFICES, build_service
from tests.api.helpers import assert_envelope, claim, filing

REPORT = b"%PDF-1.4\n% JP search report for 2017-187096\n" + secrets.token_bytes(64)
UNKNOWN = "0x" + "77" * 32


@dataclass
class World:
    client: TestClient
    tokens: dict[str, str]
    service: RegistryService
    a: str  # JP's application
    b: str  # US's, claiming A, confirmed by JP
    c: str  # EP's, claiming A with a made-up token: never confirmed
    d: str  # CN's, unrelated
    report: dict[str, Any]  # JP's report on A, as anchored

    def auth(self, office: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[office]}"}

    def get(self, path: str, office: str | None = None) -> httpx.Response:
        return self.client.get(path, headers=self.auth(office) if office else {})


def _file(client: TestClient, headers: dict[str, str], body: dict[str, Any]) -> dict[str, Any]:
    answer = client.post("/v1/filings", json=body, headers=headers)
    assert answer.status_code == 201, answer.text
    result: dict[str, Any] = answer.json()
    return result


def _upload(
    client: TestClient,
    commitment: str,
    headers: dict[str, str],
    data: bytes = REPORT,
    kind: str = "searchReport",
    issued: str = "2018-03-01",
    media_type: str = "application/pdf",
) -> httpx.Response:
    return client.post(
        f"/v1/applications/{commitment}/reports",
        files={"file": ("report.pdf", data, media_type)},
        data={"kind": kind, "issued": issued},
        headers=headers,
    )


@pytest.fixture(scope="module")
def world() -> Iterator[World]:
    service = build_service()
    store = TokenStore()
    tokens = {office: store.issue(office) for office in OFFICES}
    app = create_app(service, store, follow_index=False, rate_limit=0)
    with TestClient(app, raise_server_exceptions=False) as client:

        def auth(office: str) -> dict[str, str]:
            return {"Authorization": f"Bearer {tokens[office]}"}

        a = _file(client, auth("JP"), filing("2017-187096", "2017-09-27"))
        b = _file(
            client,
            auth("US"),
            filing(
                "16/123,456", "2018-09-06", priorityClaims=[claim("JP", "2017-187096", "2017-09-27", a["accessCode"])]
            ),
        )
        d = _file(client, auth("CN"), filing("201710000001.X", "2017-10-01"))
        # EP knows A's commitment (it is public) but not its access code.
        c = keccak(b"EP's claim without the code")
        made_up = ClaimRef(bytes.fromhex(a["commitment"][2:]), dt.date(2017, 9, 27), "JP", b"\x5a" * 16)
        service.client_for("EP").anchor_filing(Entry(c, IpRightKind.PATENT, dt.date(2018, 9, 1), claims=(made_up,)))
        for _ in range(3):
            service.sync()  # JP's gateway confirms US's claim on its sync step
        anchored = _upload(client, a["commitment"], auth("JP"))
        assert anchored.status_code == 201, anchored.text
        yield World(
            client, tokens, service, a["commitment"], b["commitment"], "0x" + c.hex(), d["commitment"], anchored.json()
        )


def test_the_link_states_are_as_the_scenario_needs(world: World) -> None:
    links = {(x["fromOffice"], x["from"]): x["confirmed"] for x in world.get(f"/v1/families/{world.a}").json()["links"]}
    assert links == {("US", world.b): True, ("EP", world.c): False}


# ── POST /v1/applications/{commitment}/reports ─────────────────────────────────────────


def test_anchoring_a_report_answers_its_id_and_binding(world: World) -> None:
    body = world.report
    assert set(body) == {"reportId", "commitment", "ipOfficeCode", "kind", "issued", "reportDigest", "ledger"}
    digest = bound_report_digest(bytes.fromhex(world.a[2:]), hashlib.sha256(REPORT).digest())
    assert body["reportDigest"] == "0x" + digest.hex()
    # docs/spec/entries.md#document-digests-and-reports: keccak256(abi.encode(bytes2 office, bytes32 reportDigest)).
    assert body["reportId"] == "0x" + keccak(b"JP" + bytes(30) + digest).hex()
    assert body["reportId"] == "0x" + report_id("JP", digest).hex()
    assert (body["commitment"], body["ipOfficeCode"], body["kind"], body["issued"]) == (
        world.a,
        "JP",
        "searchReport",
        "2018-03-01",
    )
    assert set(body["ledger"]) == {"transactionHash", "blockNumber"}
    (on_chain,) = world.service.index.reports("JP", bytes.fromhex(world.a[2:]))
    assert (on_chain.kind, on_chain.issued) == (1, dt.date(2018, 3, 1))


def test_the_report_id_is_the_same_after_the_index_is_rebuilt(world: World) -> None:
    rebuilt = Index(":memory:", world.service.chain, world.service.contract)
    rebuilt.sync()
    found = rebuilt.report(bytes.fromhex(world.report["reportId"][2:]))
    assert found is not None and found.office == "JP" and "0x" + found.commitment.hex() == world.a


def test_only_the_applications_own_office_may_anchor_a_report(world: World) -> None:
    assert_envelope(_upload(world.client, world.a, {}, data=b"x"), 401, "UNAUTHENTICATED")
    for office in ("US", "EP", "CN"):
        assert_envelope(_upload(world.client, world.a, world.auth(office), data=b"y"), 403, "FORBIDDEN")
    assert_envelope(_upload(world.client, UNKNOWN, world.auth("JP"), data=b"z"), 404, "NOT_FOUND")


def test_the_same_report_twice_is_a_conflict(world: World) -> None:
    error = assert_envelope(_upload(world.client, world.a, world.auth("JP")), 409, "CONFLICT")
    assert error["details"][0]["code"] == "alreadyAnchored"


@pytest.mark.parametrize(
    ("kind", "issued", "code", "target"),
    [
        ("searchReprot", "2018-03-01", "notAllowedValue", "kind"),
        ("", "2018-03-01", "required", "kind"),
        ("searchReport", "2018-02-30", "invalidDate", "issued"),
        ("searchReport", "1800-01-01", "notAPlausibleDate", "issued"),
        ("searchReport", "2999-01-01", "notAPlausibleDate", "issued"),
    ],
)
def test_a_bad_kind_or_date_is_a_422(world: World, kind: str, issued: str, code: str, target: str) -> None:
    answer = _upload(world.client, world.b, world.auth("US"), data=b"opinion", kind=kind, issued=issued)
    error = assert_envelope(answer, 422, "INVALID_INPUT_DATA")
    assert (error["details"][0]["code"], error["details"][0]["target"]) == (code, target)


def test_a_report_dated_before_its_applications_filing_is_a_422_and_nothing_is_anchored(world: World) -> None:
    # B was filed on 2018-09-06 (US); a report of it issued the day before cannot be.
    before = world.get(f"/v1/families/{world.b}/reports", "US").json()
    head = world.service.chain.block_number()
    answer = _upload(world.client, world.b, world.auth("US"), data=b"a report of B, misdated", issued="2018-09-05")
    error = assert_envelope(answer, 422, "INVALID_INPUT_DATA")
    (detail,) = error["details"]
    assert (detail["code"], detail["target"]) == ("reportBeforeFiling", "issued")
    assert "2018-09-05" in error["message"] and "2018-09-06" in error["message"]
    assert world.service.chain.block_number() == head
    assert world.get(f"/v1/families/{world.b}/reports", "US").json() == before


def test_a_report_needs_a_file_as_multipart(world: World) -> None:
    missing = world.client.post(
        f"/v1/applications/{world.b}/reports",
        files={"kind": (None, "other"), "issued": (None, "2019-01-01")},
        headers=world.auth("US"),
    )
    assert assert_envelope(missing, 422, "INVALID_INPUT_DATA")["details"][0]["code"] in ("required", "multipartInvalid")
    as_json = world.client.post(f"/v1/applications/{world.b}/reports", json={"kind": "other"}, headers=world.auth("US"))
    assert assert_envelope(as_json, 415, "UNSUPPORTED_MEDIA_TYPE")["details"][0]["code"] == "unsupportedMediaType"


def test_a_report_over_the_body_limit_is_a_413(world: World) -> None:
    answer = _upload(world.client, world.b, world.auth("US"), data=b"\0" * (16 * 2**20 + 1))
    assert_envelope(answer, 413, "PAYLOAD_TOO_LARGE")


# ── GET /v1/families/{commitment}/reports ──────────────────────────────────────────────


def test_the_owner_and_the_confirmed_member_list_the_familys_reports(world: World) -> None:
    us_report = _upload(
        world.client, world.b, world.auth("US"), data=b"US office action", kind="officeAction", issued="2019-01-15"
    )
    assert us_report.status_code == 201, us_report.text
    expected_ids = [world.report["reportId"], us_report.json()["reportId"]]
    for office in ("JP", "US"):
        for commitment in (world.a, world.b):
            answer = world.get(f"/v1/families/{commitment}/reports", office)
            assert answer.status_code == 200, answer.text
            reports = answer.json()["reports"]
            assert [r["reportId"] for r in reports] == expected_ids  # chain order
            first = reports[0]
            assert set(first) == {
                "reportId",
                "commitment",
                "ipOfficeCode",
                "kind",
                "issued",
                "reportDigest",
                "sha256",
            }
            assert first["sha256"] == "0x" + hashlib.sha256(REPORT).hexdigest()  # this gateway holds it
            assert (first["ipOfficeCode"], first["kind"], first["commitment"]) == ("JP", "searchReport", world.a)


def test_the_unconfirmed_member_the_outsider_and_no_token_get_nothing(world: World) -> None:
    unknown = world.get(f"/v1/families/{UNKNOWN}/reports", "EP")
    assert_envelope(unknown, 404, "NOT_FOUND")
    for commitment in (world.a, world.b):
        template = unknown.content.replace(UNKNOWN.encode(), commitment.encode())
        for office in ("EP", "CN"):
            refused = world.get(f"/v1/families/{commitment}/reports", office)
            assert refused.status_code == 404
            assert refused.content == template  # byte for byte
    # EP's own record: its family holds nothing confirmed but itself.
    assert world.get(f"/v1/families/{world.c}/reports", "EP").json() == {"reports": []}
    assert_envelope(world.get(f"/v1/families/{world.a}/reports"), 401, "UNAUTHENTICATED")


# ── GET /v1/reports/{reportId} ─────────────────────────────────────────────────────────


def test_the_owner_and_the_confirmed_member_retrieve_the_file(world: World) -> None:
    for office in ("JP", "US"):
        answer = world.get(f"/v1/reports/{world.report['reportId']}", office)
        assert answer.status_code == 200, answer.text
        assert answer.content == REPORT
        assert answer.headers["content-type"] == "application/pdf"
        assert answer.headers["content-disposition"].startswith("attachment")
        assert answer.headers["x-content-type-options"] == "nosniff"
        assert answer.headers["etag"] == f'"{hashlib.sha256(REPORT).hexdigest()}"'


def test_any_accept_takes_the_file(world: World) -> None:
    headers = {**world.auth("US"), "Accept": "application/pdf"}
    assert world.client.get(f"/v1/reports/{world.report['reportId']}", headers=headers).status_code == 200


def test_the_unconfirmed_member_the_outsider_and_no_token_cannot_retrieve_it(world: World) -> None:
    rid = world.report["reportId"]
    unknown = world.get(f"/v1/reports/{UNKNOWN}", "EP")
    assert_envelope(unknown, 404, "NOT_FOUND")
    for office in ("EP", "CN"):
        refused = world.get(f"/v1/reports/{rid}", office)
        assert refused.content == unknown.content.replace(UNKNOWN.encode(), rid.encode())
        assert refused.status_code == 404
    assert_envelope(world.get(f"/v1/reports/{rid}"), 401, "UNAUTHENTICATED")
    assert_envelope(world.get("/v1/reports/0x1234", "JP"), 422, "INVALID_INPUT_DATA")


def test_a_report_whose_file_the_holder_lost_is_a_503_with_retry_after(world: World) -> None:
    # JP's key anchors a report past the API: the ledger has it, this gateway (the holder) has no file.
    digest = bound_report_digest(bytes.fromhex(world.a[2:]), hashlib.sha256(b"never uploaded").digest())
    world.service.client_for("JP").anchor_report(
        bytes.fromhex(world.a[2:]), digest, 3, date_to_days(dt.date(2018, 4, 1))
    )
    world.service.sync()
    answer = world.get(f"/v1/reports/0x{report_id('JP', digest).hex()}", "US")
    assert_envelope(answer, 503, "HOLDER_UNAVAILABLE")
    assert int(answer.headers["retry-after"]) > 0
    listed = world.get(f"/v1/families/{world.a}/reports", "US").json()["reports"]
    assert {r["reportId"]: r["sha256"] for r in listed}["0x" + report_id("JP", digest).hex()] is None


# ── POST /v1/gateway/reports/{reportId} (the holder's side) ────────────────────────────


def _signed(world: World, office: str, rid: str, through: str, **change: Any) -> dict[str, Any]:
    request = ReportRequest(office, bytes.fromhex(rid[2:]), bytes.fromhex(through[2:]), new_nonce(), expiry_in())
    key = world.service.client_for(office).account.key
    body = sign_request(request, key, world.service.chain.chain_id, world.service.contract)
    body["request"].update(change)
    return body


def test_the_holder_serves_a_confirmed_member_and_refuses_everyone_else_alike(world: World) -> None:
    rid = world.report["reportId"]
    path = f"/v1/gateway/reports/{rid}"
    served = world.client.post(path, json=_signed(world, "US", rid, world.b))
    assert served.status_code == 200, served.text
    assert served.content == REPORT and served.headers["x-content-type-options"] == "nosniff"

    unknown = world.client.post(f"/v1/gateway/reports/{UNKNOWN}", json=_signed(world, "US", UNKNOWN, world.b))
    assert_envelope(unknown, 404, "NOT_FOUND")
    expected = unknown.content.replace(UNKNOWN.encode(), rid.encode())
    replayed = _signed(world, "US", rid, world.b)
    assert world.client.post(path, json=replayed).status_code == 200
    refusals = {
        "unconfirmed member": _signed(world, "EP", rid, world.c),
        "outsider": _signed(world, "CN", rid, world.d),
        "through another office's record": _signed(world, "US", rid, world.a),
        "replayed nonce": replayed,
        "another report id signed": _signed(world, "US", UNKNOWN, world.b),
        "expired": _signed(world, "US", rid, world.b, expiry=1),
        "tampered": _signed(world, "US", rid, world.d),
        "not a request": {"request": {}, "signature": "0x"},
    }
    refusals["tampered"]["request"]["throughCommitment"] = world.b  # the signature no longer matches
    for label, body in refusals.items():
        refused = world.client.post(path, json=body)
        assert refused.status_code == 404, label
        assert refused.content == expected, label


def test_a_malformed_json_body_to_the_holder_is_a_422(world: World) -> None:
    answer = world.client.post(
        f"/v1/gateway/reports/{world.report['reportId']}",
        content=b'{"request": ',
        headers={"Content-Type": "application/json"},
    )
    assert_envelope(answer, 422, "INVALID_INPUT_DATA")


# ── GET /v1/reports/{reportId}/accesses ────────────────────────────────────────────────


def test_the_access_log_is_the_owners_alone(world: World) -> None:
    rid = world.report["reportId"]
    assert world.get(f"/v1/reports/{rid}", "US").status_code == 200
    answer = world.get(f"/v1/reports/{rid}/accesses", "JP")
    assert answer.status_code == 200, answer.text
    accesses = answer.json()["accesses"]
    assert accesses and all(set(a) == {"ipOfficeCode", "at", "throughCommitment"} for a in accesses)
    assert {"ipOfficeCode": "US", "throughCommitment": world.b} in [
        {k: v for k, v in a.items() if k != "at"} for a in accesses
    ]
    assert all(dt.datetime.strptime(a["at"], "%Y-%m-%dT%H:%M:%SZ") for a in accesses)
    assert {a["ipOfficeCode"] for a in accesses} <= {"JP", "US"}  # refused requests are not accesses

    unknown = world.get(f"/v1/reports/{UNKNOWN}/accesses", "JP")
    assert_envelope(unknown, 404, "NOT_FOUND")
    for office in ("US", "EP", "CN"):
        refused = world.get(f"/v1/reports/{rid}/accesses", office)
        assert refused.status_code == 404
        assert refused.content == unknown.content.replace(UNKNOWN.encode(), rid.encode())
    assert_envelope(world.get(f"/v1/reports/{rid}/accesses"), 401, "UNAUTHENTICATED")


def test_a_report_on_a_batched_record_carries_its_proof(world: World) -> None:
    batch = world.client.post(
        "/v1/filing-batches",
        json={"filings": [filing("201810000002", "2018-01-02"), filing("201810000003", "2018-01-03")]},
        headers=world.auth("CN"),
    )
    assert batch.status_code == 201, batch.text
    commitment = batch.json()["filings"][1]["commitment"]
    answer = _upload(world.client, commitment, world.auth("CN"), data=b"CN examination report", kind="other")
    assert answer.status_code == 201, answer.text
    listed = world.get(f"/v1/families/{commitment}/reports", "CN").json()["reports"]
    assert [r["reportId"] for r in listed] == [answer.json()["reportId"]]
    assert world.get(f"/v1/reports/{answer.json()['reportId']}", "CN").content == b"CN examination report"
